-- Ravens assembling-kits: five shapes go into the matching holes of a kit (any hole of the same
-- shape). Training episodes draw shapes 0-13, evaluation episodes the unseen shapes 14-19.
task = {
  name = "assembling-kits",
  description = "Put each shape into a hole of the same shape in the kit.",
  max_steps = 10,
}

function reset(env)
  local shapes = util.kit_shape_ids(env, 5, false)
  local _, holes = util.add_kit(env, shapes)
  local colors = {"purple", "blue", "green", "yellow", "red"}
  local objects, matches = {}, {}
  for i = 1, 5 do
    objects[i] = env.add_object("kit_shape", env.random_pose({0.08, 0.08, 0.02}), {shape = shapes[i], color = colors[i]})
    matches[i] = {}
    for j = 1, 5 do matches[i][j] = shapes[j] == shapes[i] and 1 or 0 end
  end
  env.add_goal{objects = objects, targets = holes, matches = matches, language = "put all the shapes in the kit"}
end
