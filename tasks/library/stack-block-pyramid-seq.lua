-- CLIPort stack-block-pyramid-seq: build the pyramid one named block at a time, each step saying
-- which block goes where (six goals of 1/6).
task = {
  name = "stack-block-pyramid-seq",
  description = "Stack six coloured blocks into a pyramid, one instructed block at a time.",
  variants = {"seen-colors", "unseen-colors", "full"},
  max_steps = 12,
}

PLACES = {{0, -0.05, 0.03}, {0, 0, 0.03}, {0, 0.05, 0.03}, {0, -0.025, 0.08}, {0, 0.025, 0.08}, {0, 0, 0.13}}

function reset(env)
  local base_pose = env.random_pose({0.05, 0.15, 0.005})
  env.add_object("stacking_stand", base_pose, {fixed = true})
  local colors = env.shuffle(env.colors())
  local blocks = {}
  for i = 1, 6 do
    blocks[i] = env.add_object("block", env.random_pose({0.04, 0.04, 0.04}), {color = colors[i]})
  end
  local where = {
    "on the lightest brown block", "on the middle brown block", "on the darkest brown block",
    "on the " .. colors[1] .. " and " .. colors[2] .. " blocks", "on the " .. colors[2] .. " and " .. colors[3] .. " blocks",
    "on the " .. colors[4] .. " and " .. colors[5] .. " blocks",
  }
  for i = 1, 6 do
    env.add_goal{
      objects = {blocks[i]},
      targets = {{pos = env.apply(base_pose, PLACES[i]), yaw = base_pose.yaw}},
      symmetries = math.pi / 2,
      reward = 1 / 6,
      language = "put the " .. colors[i] .. " block " .. where[i],
    }
  end
end
