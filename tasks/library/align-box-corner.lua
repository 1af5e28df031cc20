-- Ravens align-box-corner: push a randomly sized box into the corner marked by an L-shaped line;
-- any of the four poses that fit the box into the corner counts.
task = {
  name = "align-box-corner",
  description = "Pick up the box and align it with the corner marked on the table.",
  max_steps = 3,
}

function reset(env)
  local size = env.random_size(0.05, 0.15, 0.05, 0.15, 0.01, 0.06)
  -- The corner marker outlines the box's +x/-y corner when the box sits at the marker's pose.
  local corner_pose = env.random_pose({size[1], size[2], 0.001})
  env.add_object("corner", corner_pose, {fixed = true, params = {size_x = size[1], size_y = size[2]}})

  -- The box fits the corner in its own pose, turned by pi, and in the two quarter turns that
  -- swap its sides (shifted so the same corner lines up).
  local flipped = {pos = corner_pose.pos, yaw = corner_pose.yaw + math.pi}
  local shift = {size[1] / 2 - size[2] / 2, size[2] / 2 - size[1] / 2, 0}
  local quarter = env.multiply(corner_pose, {pos = shift, yaw = math.pi / 2})
  local three_quarter = env.multiply(corner_pose, {pos = shift, yaw = 3 * math.pi / 2})

  local box = env.add_object("box", env.random_pose(size), {size = size, color = util.random_brown(env), mass = 0.1})
  env.add_goal{
    objects = {box},
    targets = {corner_pose, flipped, quarter, three_quarter},
    matches = "all",
    symmetries = {2 * math.pi},
    language = "align the brown box with the corner",
  }
end
