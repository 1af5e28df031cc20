-- CLIPort assembling-kits-seq: put each coloured shape into the hole the instruction names, one
-- at a time (five goals of 1/5); a hole's place is named when its shape appears twice.
task = {
  name = "assembling-kits-seq",
  description = "Put the named coloured shape into the named hole of the kit, one at a time.",
  variants = {"seen-colors", "unseen-colors", "full"},
  max_steps = 5,
}

function reset(env)
  local shapes = util.kit_shape_ids(env, 5, false)
  local _, holes = util.add_kit(env, shapes)
  local colors = env.shuffle(env.colors())
  local names = {}
  for _, shape in ipairs(env.kit_shapes()) do names[shape.id] = shape.name end
  local count = {}
  for _, id in ipairs(shapes) do count[id] = (count[id] or 0) + 1 end
  local objects = {}
  for i = 1, 5 do
    objects[i] = env.add_object("kit_shape", env.random_pose({0.08, 0.08, 0.02}), {shape = shapes[i], color = colors[i]})
  end
  for _, i in ipairs(env.shuffle({1, 2, 3, 4, 5})) do
    local place = count[shapes[i]] > 1 and (util.KIT_HOLE_NAMES[i] .. " ") or ""
    env.add_goal{
      objects = {objects[i]},
      targets = {holes[i]},
      reward = 1 / 5,
      language = "put the " .. colors[i] .. " " .. names[shapes[i]] .. " in the " .. place .. names[shapes[i]] .. " hole",
    }
  end
end
