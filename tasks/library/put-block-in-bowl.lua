-- CLIPort put-block-in-bowl: put the blocks of one colour into bowls of another, with distractor
-- blocks and bowls in other colours. One mistake is allowed (max steps = blocks + 1).
task = {
  name = "put-block-in-bowl",
  description = "Put the blocks of one colour into bowls of another colour.",
  variants = {"seen-colors", "unseen-colors", "full"},
  max_steps = 10,
  pos_eps = 0.05,
}

function reset(env)
  local colors = env.shuffle(env.colors())
  local block_color, bowl_color = colors[1], colors[2]
  local n_bowls = math.random(1, 3)
  local n_blocks = math.random(1, n_bowls)
  local bowl_size = {0.12, 0.12, env.asset_size("bowl")[3]}
  local block_size = {0.04, 0.04, 0.04}

  local bowls = {}
  for i = 1, n_bowls do
    bowls[i] = env.random_pose(bowl_size)
    env.add_object("bowl", bowls[i], {fixed = true, color = bowl_color})
  end
  local blocks = {}
  for i = 1, n_blocks do
    blocks[i] = env.add_object("block", env.random_pose(block_size), {color = block_color})
  end
  local language = "put the " .. block_color .. " blocks in a " .. bowl_color .. " bowl"
  env.add_goal{objects = blocks, targets = bowls, matches = "all", symmetries = 0, language = language}
  env.set_max_steps(n_blocks + 1)

  -- Six distractors in the colours nobody asked for.
  local others = {}
  for i = 3, #colors do others[#others + 1] = colors[i] end
  util.add_distractors(env, 6, others, others)
end
