-- A brown box into an open container that is just large enough for it.
task = {
  name = "box-into-container",
  description = "Pick up a box and put it inside an open container that fits it with a little clearance.",
  max_steps = 3,
  pos_eps = 0.02,
}

function reset(env)
  local box_size = env.random_size(0.05, 0.08, 0.05, 0.08, 0.04, 0.06)
  local inner = {box_size[1] + 0.04, box_size[2] + 0.04, 0.05}
  local container = env.random_pose({inner[1] + 0.02, inner[2] + 0.02, inner[3]})
  env.add_object("container", container, {size = inner, color = "gray"})
  local box = env.add_object("box", env.random_pose(box_size), {size = box_size, color = util.random_brown(env)})
  env.add_goal{
    objects = {box},
    targets = {{pos = {container.pos[1], container.pos[2], box_size[3] / 2}, yaw = container.yaw}},
    language = "put the brown box in the gray container",
  }
end
