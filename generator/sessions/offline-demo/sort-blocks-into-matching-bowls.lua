-- Two colours of blocks and a bowl of each colour: every block goes into the bowl of its colour.
task = {
  name = "sort-blocks-into-matching-bowls",
  description = "Sort blocks of two colours into the two bowls of the same colours.",
  variants = {"seen-colors", "unseen-colors", "full"},
  max_steps = 8,
  pos_eps = 0.05,
}

function reset(env)
  local colors = env.shuffle(env.colors())
  local bowl_size = {0.12, 0.12, env.asset_size("bowl")[3]}
  local share = 1 / 2
  for c = 1, 2 do
    local bowl = env.random_pose(bowl_size)
    env.add_object("bowl", bowl, {color = colors[c]})
    local blocks = {}
    for i = 1, 2 do
      blocks[i] = env.add_object("block", env.random_pose({0.04, 0.04, 0.04}), {color = colors[c]})
    end
    env.add_goal{
      objects = blocks,
      targets = {bowl},
      matches = "all",
      replace = true,
      symmetries = 0,
      reward = share,
      language = "put the " .. colors[c] .. " blocks in the " .. colors[c] .. " bowl",
    }
  end
end
