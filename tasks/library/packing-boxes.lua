-- Ravens packing-boxes: boxes that exactly fill a container (a random k-d split of its inside)
-- are scattered on the table; pack them all back in. Scored by the fraction of box points inside.
task = {
  name = "packing-boxes",
  description = "Pack all the boxes into the brown container.",
  max_steps = 20,
  zone_height = 0.08,  -- CLIPort: points higher than 8 cm above the container do not count
}

function reset(env)
  local colors = {}
  for _, name in ipairs(env.all_colors()) do
    if name ~= "brown" then colors[#colors + 1] = name end
  end
  local container_pose, size, boxes, packed =
      util.add_packing(env, 0.05, 0.3, "brown", function() return env.choice(colors) end)
  env.add_goal{
    objects = boxes,
    targets = packed,
    metric = "zone",
    zone = {pose = container_pose, size = {size[1], size[2]}},
    language = "pack all the boxes into the brown box",
  }
end
