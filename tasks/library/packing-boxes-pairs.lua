-- CLIPort packing-boxes-pairs: pack the boxes of two named colours into the brown container;
-- four boxes of other colours are distractors. Stacking higher than 5.25 cm earns nothing.
task = {
  name = "packing-boxes-pairs",
  description = "Pack all the boxes of the two named colours into the brown box.",
  variants = {"seen-colors", "unseen-colors", "full"},
  max_steps = 20,
  zone_height = 0.0525,
}

function reset(env)
  local colors = {}
  for _, name in ipairs(env.shuffle(env.colors())) do
    if name ~= "brown" then colors[#colors + 1] = name end
  end
  local wanted = {colors[1], colors[2]}
  local container_pose, size, boxes, packed, dims =
      util.add_packing(env, 0.05, 0.3, "brown", function() return env.choice(wanted) end)
  -- Distractors: the size of a packed box, in colours nobody asked for.
  for i = 1, 4 do
    local pose = env.random_pose(dims[math.random(1, #dims)])
    if pose then
      env.add_object("box", pose, {size = dims[math.random(1, #dims)], mass = 0.05, color = colors[2 + (i - 1) % (#colors - 2) + 1]})
    end
  end
  env.add_goal{
    objects = boxes,
    targets = packed,
    metric = "zone",
    zone = {pose = container_pose, size = {size[1], size[2]}},
    language = "pack all the " .. wanted[1] .. " and " .. wanted[2] .. " blocks into the brown box",
  }
end
