-- CLIPort packing-shapes ("packing-unseen-shapes"): of five different kit shapes, pack the named
-- one into the brown box in a single move.
task = {
  name = "packing-shapes",
  description = "Pack the named shape into the brown box.",
  max_steps = 1,
}

function reset(env)
  local size = env.random_size(0.1, 0.15, 0.1, 0.15, 0.05, 0.05)
  local box_pose = env.random_pose(size)
  env.add_object("container", box_pose, {fixed = true, size = size, color = "brown"})
  local shapes = util.kit_shape_ids(env, 5, true)
  local names = {}
  for _, shape in ipairs(env.kit_shapes()) do names[shape.id] = shape.name end
  local objects = {}
  for i = 1, 5 do
    objects[i] = env.add_object("kit_shape", env.random_pose({0.08, 0.08, 0.02}), {shape = shapes[i], color = "blue"})
  end
  env.add_goal{
    objects = {objects[1]},
    metric = "zone",
    zone = {pose = box_pose, size = {size[1], size[2]}},
    language = "pack the " .. names[shapes[1]] .. " in the brown box",
  }
end
