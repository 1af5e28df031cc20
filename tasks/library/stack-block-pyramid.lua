-- Ravens stack-block-pyramid: build a 3-2-1 pyramid of six blocks on a base (bottom row worth 1/2,
-- middle row 1/3, top 1/6; any block of a row may take any place of that row).
task = {
  name = "stack-block-pyramid",
  description = "Stack six blocks into a pyramid on the base: three, then two, then one.",
  max_steps = 12,
}

-- Places in the base's frame: bottom row, middle row, top [m].
PLACES = {{0, -0.05, 0.03}, {0, 0, 0.03}, {0, 0.05, 0.03}, {0, -0.025, 0.08}, {0, 0.025, 0.08}, {0, 0, 0.13}}

function reset(env)
  local base_pose = env.random_pose({0.05, 0.15, 0.005})
  env.add_object("stacking_stand", base_pose, {fixed = true})
  local colors = {"purple", "blue", "green", "yellow", "orange", "red"}
  local blocks = {}
  for i = 1, 6 do
    blocks[i] = env.add_object("block", env.random_pose({0.04, 0.04, 0.04}), {color = colors[i]})
  end
  local targets = {}
  for i, place in ipairs(PLACES) do
    targets[i] = {pos = env.apply(base_pose, place), yaw = base_pose.yaw}
  end
  local rows = {{1, 3, 1 / 2}, {4, 5, 1 / 3}, {6, 6, 1 / 6}}
  for _, row in ipairs(rows) do
    local objects, row_targets = {}, {}
    for i = row[1], row[2] do
      objects[#objects + 1] = blocks[i]
      row_targets[#row_targets + 1] = targets[i]
    end
    env.add_goal{
      objects = objects,
      targets = row_targets,
      matches = "all",
      symmetries = math.pi / 2,
      reward = row[3],
      language = "stack the blocks into a pyramid",
    }
  end
end
