-- CLIPort separating-piles: push the pile of blocks into the named one of two coloured zones.
task = {
  name = "separating-piles",
  description = "Push the pile of blocks into the square of the named colour.",
  variants = {"seen-colors", "unseen-colors", "full"},
  max_steps = 20,
  end_effector = "spatula",
}

function reset(env)
  local colors = env.shuffle(env.colors())
  local block_color, zone_colors = colors[1], {colors[2], colors[3]}
  local blocks = util.add_pile(env, {0.4, -0.1}, 50, block_color)
  -- Two 15 cm zones at least 20 cm apart, away from the pile.
  local zones
  for attempt = 1, 20 do
    local a, b = env.random_pose({0.15, 0.15, 0.001}), env.random_pose({0.15, 0.15, 0.001})
    if a and b and math.sqrt((a.pos[1] - b.pos[1]) ^ 2 + (a.pos[2] - b.pos[2]) ^ 2) >= 0.2 then
      zones = {a, b}
      break
    end
  end
  assert(zones, "no room for two zones 20 cm apart")
  for i = 1, 2 do
    env.add_object("zone", zones[i], {fixed = true, color = zone_colors[i], params = {size_x = 0.15, size_y = 0.15}})
  end
  local target = math.random(1, 2)
  env.add_goal{
    objects = blocks,
    metric = "zone",
    zone = {pose = zones[target], size = {0.15, 0.15}},
    replace = true,
    rotations = false,
    language = "push the pile of " .. block_color .. " blocks into the " .. zone_colors[target] .. " square",
  }
end
