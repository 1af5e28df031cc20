-- The task API's Lua helpers, loaded into every task's sandbox before the task script (same
-- budgets, same `env`). They build the scenes the Ravens and CLIPort tasks share. Units: metres
-- and radians; poses and points are world-frame unless a name says otherwise.
util = {}

-- A random shade of brown, as Ravens' color_random_brown: U(0.5, 1.5) times the palette brown.
function util.random_brown(env)
  local brown, shade = env.color("brown"), 0.5 + math.random()
  return {math.min(1, brown[1] * shade), math.min(1, brown[2] * shade), math.min(1, brown[3] * shade)}
end

-- The optimal Tower of Hanoi moves for n disks from peg `from` to peg `to`, as {disk, from, to}
-- with disk 1 the smallest.
function util.hanoi_moves(n, from, to, via, moves)
  moves = moves or {}
  if n == 0 then return moves end
  util.hanoi_moves(n - 1, from, via, to, moves)
  moves[#moves + 1] = {n, from, to}
  util.hanoi_moves(n - 1, via, to, from, moves)
  return moves
end

-- A Hanoi stand at a free spot with three disks (smallest on top) on its first peg. Returns the
-- stand's pose, the three peg positions in the world and the disks, smallest first.
util.HANOI_DISK_RADII = {0.025, 0.0325, 0.04}
util.HANOI_DISK_HEIGHT = 0.015
function util.add_hanoi(env, colors)
  local base_pose = env.random_pose({0.12, 0.36, 0.01})
  env.add_object("hanoi_stand", base_pose, {fixed = true})
  local pegs, disks = {}, {}
  for i, y in ipairs({-0.12, 0, 0.12}) do pegs[i] = env.apply(base_pose, {0, y, 0.03}) end
  for i = 1, 3 do
    local z = 0.005 + util.HANOI_DISK_HEIGHT * (3.5 - i)  -- the stand's origin is its plate's centre
    local options = {params = {outer_radius = util.HANOI_DISK_RADII[i]}}
    if colors then options.color = colors[i] end
    disks[i] = env.add_object("hanoi_disk", {pos = env.apply(base_pose, {0, -0.12, z}), yaw = base_pose.yaw}, options)
  end
  return base_pose, pegs, disks
end

-- One pose goal per Hanoi move (each worth 1/#moves), the disk going onto its target peg;
-- language(move) gives each goal's instruction.
function util.add_hanoi_goals(env, disks, pegs, moves, language)
  for _, move in ipairs(moves) do
    env.add_goal{
      objects = {disks[move[1]]},
      targets = {{pos = pegs[move[3]], yaw = 0}},
      symmetries = 0,
      reward = 1 / #moves,
      language = language(move),
    }
  end
end

-- `count` distractors at free spots, each a 4 cm block or a bowl at random, coloured in turn
-- from block_colors or bowl_colors. Gives up after 10 tries per distractor when the table is full.
function util.add_distractors(env, count, block_colors, bowl_colors)
  local block_size, bowl_size = {0.04, 0.04, 0.04}, {0.12, 0.12, env.asset_size("bowl")[3]}
  local placed, attempts = 0, 0
  while placed < count and attempts < 10 * count do
    attempts = attempts + 1
    local is_block = math.random() > 0.5
    local pose = env.random_pose(is_block and block_size or bowl_size)
    if pose then
      local colors = is_block and block_colors or bowl_colors
      env.add_object(is_block and "block" or "bowl", pose, {color = colors[placed % #colors + 1]})
      placed = placed + 1
    end
  end
end

-- Splits the box with corners lo, hi into pieces at least `min_dim` long on every axis with
-- `margin` between them (Ravens' KD-tree fill of a container). Returns a list of {lo, hi}.
function util.split_space(lo, hi, min_dim, margin, out)
  out = out or {}
  local size = {hi[1] - lo[1], hi[2] - lo[2], hi[3] - lo[3]}
  local axes = {}
  for axis = 1, 3 do
    if size[axis] > 2 * min_dim then axes[#axes + 1] = axis end
  end
  if #axes == 0 then
    out[#out + 1] = {lo, hi}
    return out
  end
  local axis = axes[math.random(1, #axes)]
  local cut = lo[axis] + min_dim + math.random() * (size[axis] - 2 * min_dim)
  local hi1, lo2 = {hi[1], hi[2], hi[3]}, {lo[1], lo[2], lo[3]}
  hi1[axis] = cut - margin / 2
  lo2[axis] = cut + margin / 2
  util.split_space(lo, hi1, min_dim, margin, out)
  util.split_space(lo2, hi, min_dim, margin, out)
  return out
end

-- A fixed container of random size (x, y in [min_xy, max_xy], 5 cm deep) and boxes that fill it
-- exactly (colour color_of(i)), then moved to free spots on the table. Returns the container's
-- pose and size, the boxes, their packed poses and their sizes.
function util.add_packing(env, min_xy, max_xy, container_color, color_of)
  local size = env.random_size(min_xy, max_xy, min_xy, max_xy, 0.05, 0.05)
  local container_pose = env.random_pose(size)
  env.add_object("container", container_pose, {fixed = true, size = size, color = container_color})
  local pieces = util.split_space({0.01, 0.01, 0}, {size[1] - 0.01, size[2] - 0.01, size[3]}, 0.05, 0.01)
  local boxes, packed, dims = {}, {}, {}
  for i, piece in ipairs(pieces) do
    local lo, hi = piece[1], piece[2]
    dims[i] = {hi[1] - lo[1], hi[2] - lo[2], hi[3] - lo[3]}
    local centre = env.pose(lo[1] + dims[i][1] / 2 - size[1] / 2, lo[2] + dims[i][2] / 2 - size[2] / 2,
                            lo[3] + dims[i][3] / 2, 0)
    packed[i] = env.multiply(container_pose, centre)
    boxes[i] = env.add_object("box", packed[i], {size = dims[i], mass = 0.05, color = color_of(i)})
  end
  for i, box in ipairs(boxes) do env.set_pose(box, env.random_pose(dims[i])) end
  return container_pose, size, boxes, packed, dims
end

-- Kit shape ids for this episode: training draws from shapes 0-13, evaluation from 14-19.
function util.kit_shape_ids(env, count, distinct)
  local pool = {}
  local first, last = 0, 13
  if env.split() ~= "train" then first, last = 14, 19 end
  for id = first, last do pool[#pool + 1] = id end
  local out = {}
  if distinct then
    local shuffled = env.shuffle(pool)
    for i = 1, count do out[i] = shuffled[i] end
  else
    for i = 1, count do out[i] = env.choice(pool) end
  end
  return out
end

-- A kit at a free spot with a hole for each of the five shape ids. Returns the kit's pose, the
-- holes' poses and the holes' names by place ("top left", ...).
util.KIT_HOLES = {{-0.09, 0.045, 0.0014}, {0, 0.045, 0.0014}, {0.09, 0.045, 0.0014}, {-0.045, -0.045, 0.0014},
                  {0.045, -0.045, 0.0014}}
util.KIT_HOLE_NAMES = {"top left", "top middle", "top right", "bottom left", "bottom right"}
function util.add_kit(env, shapes)
  local kit_pose = env.random_pose({0.28, 0.2, 0.005})
  env.add_object("kit", kit_pose, {fixed = true})
  local holes = {}
  for i, place in ipairs(util.KIT_HOLES) do
    holes[i] = {pos = env.apply(kit_pose, place), yaw = math.random() * 2 * math.pi}
    env.add_object("kit_hole", holes[i], {fixed = true, shape = shapes[i]})
  end
  return kit_pose, holes
end

-- `count` small blocks scattered over the `extent` square (default 0.2 m) whose low corner is
-- `corner`.
function util.add_pile(env, corner, count, color, extent)
  extent = extent or 0.2
  local blocks = {}
  for i = 1, count do
    local x, y = corner[1] + math.random() * extent, corner[2] + math.random() * extent
    blocks[i] = env.add_object("small_block", env.pose(x, y, 0.005, math.random() * 2 * math.pi), {color = color})
  end
  return blocks
end

-- A 20-bead rope dropped at a free spot, with the goal of lying straight from point a to point b
-- (either end first), then 480 settling steps as Ravens does.
util.ROPE_BEADS = 20
util.ROPE_LENGTH = 2 * 0.005 * util.ROPE_BEADS * math.sqrt(2)
function util.add_rope_goal(env, a, b, language)
  local n = util.ROPE_BEADS
  local step = {(b[1] - a[1]) / n, (b[2] - a[2]) / n}
  local start = env.random_pose({0.1, 0.1, 0.1}).pos
  local beads = env.add_rope{start = start, count = n, spacing = math.sqrt(step[1] ^ 2 + step[2] ^ 2)}
  local targets, matches = {}, {}
  for i = 1, n do
    targets[i] = env.pose(a[1] + (i - 0.5) * step[1], a[2] + (i - 0.5) * step[2], 0.001, 0)
    matches[i] = {}
    for j = 1, n do matches[i][j] = (j == i or j == n + 1 - i) and 1 or 0 end
  end
  env.add_goal{objects = beads, targets = targets, matches = matches, rotations = false, symmetries = 0,
               language = language}
  env.settle(480)
  return beads
end
