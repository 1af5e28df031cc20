-- Ravens place-red-in-green: every red block into a green bowl, among distractor blocks and bowls.
task = {
  name = "place-red-in-green",
  description = "Put each red block into a green bowl; other blocks and bowls are distractors.",
  max_steps = 10,
  pos_eps = 0.05,
}

function reset(env)
  local n_bowls = math.random(1, 3)
  local n_blocks = math.random(1, n_bowls)
  local bowl_size = {0.12, 0.12, env.asset_size("bowl")[3]}
  local block_size = {0.04, 0.04, 0.04}

  local bowl_poses = {}
  for i = 1, n_bowls do
    local pose = env.random_pose(bowl_size)
    env.add_object("bowl", pose, {fixed = true, color = "green"})
    bowl_poses[i] = pose
  end
  local blocks = {}
  for i = 1, n_blocks do
    blocks[i] = env.add_object("block", env.random_pose(block_size), {color = "red"})
  end
  env.add_goal{
    objects = blocks,
    targets = bowl_poses,
    matches = "all",
    symmetries = 0,
    language = "put the red blocks in a green bowl",
  }

  -- Ten distractors, each a block (not red) or a bowl (not green), colours taken in turn.
  local block_colors, bowl_colors = {}, {}
  for _, name in ipairs(env.all_colors()) do
    if name ~= "red" then block_colors[#block_colors + 1] = name end
    if name ~= "green" then bowl_colors[#bowl_colors + 1] = name end
  end
  util.add_distractors(env, 10, block_colors, bowl_colors)
end
