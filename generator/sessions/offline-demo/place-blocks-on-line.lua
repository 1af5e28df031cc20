-- Lay three blocks of different colours along a line marker, in the order the instruction names.
task = {
  name = "place-blocks-on-line",
  description = "Place three blocks of different colours on a line marker, left to right in the named order.",
  variants = {"seen-colors", "unseen-colors"},
  max_steps = 6,
}

function reset(env)
  local line_pose = env.random_pose({0.24, 0.04, 0.002})
  line_pose.yaw = 0
  env.add_object("line", line_pose, {params = {length = 0.24}})

  local colors = env.shuffle(env.colors())
  local blocks, targets = {}, {}
  for i = 1, 3 do
    blocks[i] = env.add_object("block", env.random_pose({0.04, 0.04, 0.04}), {color = colors[i]})
    -- slots 8 cm apart along the line, block centres 2 cm above the table
    targets[i] = {pos = env.apply(line_pose, {-0.08 + 0.08 * (i - 1), 0, 0.02}), yaw = 0}
  end
  env.add_goal{
    objects = blocks,
    targets = targets,
    symmetries = math.pi / 2,
    language = "put the " .. colors[1] .. ", " .. colors[2] .. " and " .. colors[3] ..
               " blocks on the line, in that order",
  }
end
