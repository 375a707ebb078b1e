-- Seed: a realistic, deterministic pricing catalogue for development and load tests.
--
-- Needs sql/0002_pricing.sql. Idempotent: the whole seed is one DO block that does
-- nothing when `materials` already has rows, so a second run (or a run after an
-- admin edited prices) changes nothing. Deterministic: fixed tables plus
-- setseed() before every random() draw, in a fixed order.
--
--   ~45 materials (steel, aluminium, copper, fasteners, bought-in parts, paint,
--   consumables; units kg, m, pcs, l), the 12 work centres with hourly rates, and
--   302 products: 120 parts (materials only), 80 sub-assemblies (parts), 60
--   assemblies (sub-assemblies + parts), 40 finished products (assemblies + ...),
--   i.e. BOMs 1 to 4 levels deep, acyclic by construction: a product only uses
--   products of lower levels. Plus the worked example of docs/pricing.md,
--   BRK-200 and BRK-200-BASE, exactly as documented.
--
-- Work centres may already exist (the MES migration / the MES seed create them without a
-- rate): an existing row only gets its hourly_rate filled in while it is still 0.
DO $seed$
DECLARE
  raw_kg text[] := ARRAY['STL-S235-2', 'STL-S235-4', 'STL-S235-8', 'STL-S355-10',
                         'STL-09G2S-12', 'STL-RND-20', 'STL-RND-40', 'SS-AISI304-2',
                         'AL-AMG3-2', 'AL-AMG6-5', 'CU-M1-BAR10', 'BRS-L63-ROD16'];
  raw_m text[] := ARRAY['STL-TUBE-40X40', 'STL-TUBE-60X40', 'STL-ANG-50', 'AL-6060-ROD20',
                        'AL-PROF-4040'];
  fasteners text[] := ARRAY['FST-M6X16', 'FST-M8X25', 'FST-M10X30', 'FST-M12X40', 'FST-NUT-M8',
                            'FST-NUT-M10', 'FST-NUT-M12', 'FST-WSH-M10', 'FST-RIV-4X10'];
  paints text[] := ARRAY['PNT-RAL7035', 'PNT-RAL9005', 'PNT-RAL5010'];
  bought_in text[] := ARRAY['BRG-6204', 'BRG-6206', 'SEAL-40X62', 'CST-100', 'HNG-80', 'LCK-CAM'];
  drives text[] := ARRAY['MTR-0.75KW', 'GBX-NMRV40'];
  machining text[] := ARRAY['CUT-1', 'PRESS-1', 'CNC-1', 'CNC-2', 'LATHE-1', 'MILL-1'];
  part_names text[] := ARRAY['Flange', 'Bracket plate', 'Shaft', 'Bushing', 'Cover plate', 'Rib',
                             'Spacer', 'Housing half', 'Mounting plate', 'Gusset', 'Axle', 'Lever',
                             'Clamp jaw', 'Pulley', 'Sleeve', 'Guide rail', 'Hinge leaf', 'Stop pin'];
  sub_names text[] := ARRAY['Welded frame', 'Bearing unit', 'Drive plate unit', 'Side panel',
                            'Door leaf', 'Roller unit', 'Clamp unit', 'Base frame', 'Leg unit',
                            'Shelf beam'];
  asm_names text[] := ARRAY['Conveyor drive station', 'Rack upright', 'Enclosure body',
                            'Workbench top', 'Trolley chassis', 'Guard assembly', 'Lift table base',
                            'Tool cabinet body'];
  fin_kinds text[][] := ARRAY[
    ARRAY['conveyors', 'Belt conveyor section'], ARRAY['racks', 'Pallet rack bay'],
    ARRAY['enclosures', 'Electrical enclosure'], ARRAY['workbenches', 'Workbench'],
    ARRAY['trolleys', 'Platform trolley'], ARRAY['frames', 'Machine base frame']];
  parts text[] := '{}';
  subs text[] := '{}';
  asms text[] := '{}';
  picked text[];
  cur_sku text;
  component text;
  next_line integer;
  n integer;
  i integer;
  j integer;
  k integer;
BEGIN
  IF EXISTS (SELECT 1 FROM materials) THEN
    RAISE NOTICE 'pricing seed: materials present, nothing to do';
    RETURN;
  END IF;
  PERFORM setseed(0.20261124);

  INSERT INTO materials (code, name, unit, price) VALUES
    ('STL-S235-2', 'Steel sheet S235JR 2 mm', 'kg', 96.40),
    ('STL-S235-4', 'Steel sheet S235JR 4 mm', 'kg', 98.50),
    ('STL-S235-8', 'Steel sheet S235JR 8 mm', 'kg', 101.20),
    ('STL-S355-10', 'Steel plate S355J2 10 mm', 'kg', 118.90),
    ('STL-09G2S-12', 'Steel plate 09G2S 12 mm', 'kg', 124.30),
    ('STL-RND-20', 'Steel round bar C45 D20', 'kg', 134.70),
    ('STL-RND-40', 'Steel round bar 40Kh D40', 'kg', 151.20),
    ('SS-AISI304-2', 'Stainless steel sheet AISI 304 2 mm', 'kg', 438.00),
    ('STL-TUBE-40X40', 'Steel square tube 40x40x2', 'm', 312.00),
    ('STL-TUBE-60X40', 'Steel rectangular tube 60x40x3', 'm', 468.00),
    ('STL-ANG-50', 'Steel angle 50x50x5', 'm', 295.00),
    ('AL-AMG3-2', 'Aluminium sheet AMg3 2 mm', 'kg', 389.00),
    ('AL-AMG6-5', 'Aluminium plate AMg6 5 mm', 'kg', 452.00),
    ('AL-6060-ROD20', 'Aluminium rod 6060 D20', 'm', 410.00),
    ('AL-PROF-4040', 'Aluminium T-slot profile 40x40', 'm', 865.00),
    ('CU-M1-BAR10', 'Copper bus bar M1 10x40', 'kg', 1120.00),
    ('BRS-L63-ROD16', 'Brass rod L63 D16', 'kg', 845.00),
    ('FST-M6X16', 'Hex bolt M6x16 8.8 zinc plated', 'pcs', 3.12),
    ('FST-M8X25', 'Hex bolt M8x25 8.8 zinc plated', 'pcs', 6.45),
    ('FST-M10X30', 'Hex bolt M10x30 8.8 zinc plated', 'pcs', 12.81),
    ('FST-M12X40', 'Hex bolt M12x40 8.8 zinc plated', 'pcs', 21.60),
    ('FST-NUT-M8', 'Hex nut M8 zinc plated', 'pcs', 1.35),
    ('FST-NUT-M10', 'Hex nut M10 zinc plated', 'pcs', 2.10),
    ('FST-NUT-M12', 'Hex nut M12 zinc plated', 'pcs', 3.40),
    ('FST-WSH-M10', 'Flat washer M10', 'pcs', 0.62),
    ('FST-RIV-4X10', 'Blind rivet 4x10 aluminium', 'pcs', 0.95),
    ('BRG-6204', 'Ball bearing 6204-2RS', 'pcs', 148.00),
    ('BRG-6206', 'Ball bearing 6206-2RS', 'pcs', 236.00),
    ('SEAL-40X62', 'Oil seal 40x62x8', 'pcs', 54.00),
    ('CST-100', 'Swivel castor 100 mm with brake', 'pcs', 420.00),
    ('HNG-80', 'Steel hinge 80 mm', 'pcs', 96.00),
    ('LCK-CAM', 'Cam lock with key', 'pcs', 185.00),
    ('MTR-0.75KW', 'Electric motor 0.75 kW 1500 rpm', 'pcs', 11850.00),
    ('GBX-NMRV40', 'Worm gearbox NMRV040 i=30', 'pcs', 9400.00),
    ('GSK-EPDM-10X5', 'EPDM sealing strip 10x5', 'm', 38.50),
    ('CBL-3X1.5', 'Power cable 3x1.5 mm2', 'm', 74.00),
    ('PNT-RAL7035', 'Powder coating RAL 7035 light grey', 'kg', 640.00),
    ('PNT-RAL9005', 'Powder coating RAL 9005 jet black', 'kg', 655.00),
    ('PNT-RAL5010', 'Powder coating RAL 5010 gentian blue', 'kg', 672.00),
    ('PRM-GF021', 'Primer GF-021', 'l', 315.00),
    ('SLV-646', 'Solvent 646', 'l', 142.00),
    ('OIL-I40A', 'Industrial oil I-40A', 'l', 168.00),
    ('WLD-WIRE-1.2', 'Welding wire Sv-08G2S 1.2 mm', 'kg', 212.00),
    ('WLD-GAS-ARCO2', 'Shielding gas Ar/CO2 82/18', 'l', 0.45),
    ('PCK-BOX-L', 'Corrugated box 600x400x400', 'pcs', 86.00),
    ('PCK-FILM', 'Stretch film 500 mm', 'm', 3.80),
    ('PCK-PALLET', 'Wooden pallet 1200x800', 'pcs', 540.00);

  INSERT INTO work_centers (code, name, hourly_rate) VALUES
    ('CNC-1', 'CNC machining centre 1', 4200.00),
    ('CNC-2', 'CNC machining centre 2', 3900.00),
    ('LATHE-1', 'Lathe 1', 3100.00),
    ('MILL-1', 'Milling machine 1', 3600.00),
    ('WELD-1', 'Welding station 1', 2800.00),
    ('PAINT-1', 'Powder coating line 1', 2400.00),
    ('ASSY-1', 'Assembly bench 1', 1900.00),
    ('ASSY-2', 'Assembly bench 2', 1900.00),
    ('QC-1', 'Quality control 1', 2200.00),
    ('PRESS-1', 'Press brake 1', 3300.00),
    ('CUT-1', 'Laser cutter 1', 2600.00),
    ('PACK-1', 'Packing station 1', 1200.00)
  ON CONFLICT (code) DO UPDATE SET hourly_rate = EXCLUDED.hourly_rate
    WHERE work_centers.hourly_rate = 0;

  UPDATE pricing_parameters SET overhead_pct = 18.00, margin_pct = 25.00;
  INSERT INTO discount_tiers (min_quantity, discount_pct) VALUES
    (50, 3.00), (100, 5.00), (500, 8.00), (1000, 10.00), (5000, 12.00)
  ON CONFLICT (min_quantity) DO NOTHING;

  -- The worked example (docs/pricing.md); the calculator test uses the same data.
  INSERT INTO products (sku, name, category, list_price) VALUES
    ('BRK-200-BASE', 'Bracket base plate 200', 'sub-assemblies', 420.00),
    ('BRK-200', 'Mounting bracket 200', 'brackets', 1890.00)
  ON CONFLICT (sku) DO NOTHING;
  INSERT INTO bom_lines (product_sku, line_no, component_sku, material_code, quantity, scrap_pct)
  VALUES
    ('BRK-200-BASE', 1, NULL, 'STL-S235-4', 2.35, 5),
    ('BRK-200', 1, 'BRK-200-BASE', NULL, 1, 2),
    ('BRK-200', 2, NULL, 'FST-M10X30', 4, 1),
    ('BRK-200', 3, NULL, 'PNT-RAL7035', 0.12, 10)
  ON CONFLICT DO NOTHING;
  INSERT INTO routing_operations (product_sku, seq, work_center, setup_minutes,
                                  run_minutes_per_unit)
  VALUES
    ('BRK-200-BASE', 1, 'CUT-1', 20, 1.5),
    ('BRK-200-BASE', 2, 'PRESS-1', 40, 0.75),
    ('BRK-200', 1, 'WELD-1', 30, 6),
    ('BRK-200', 2, 'PAINT-1', 45, 2.5),
    ('BRK-200', 3, 'QC-1', 10, 1.2)
  ON CONFLICT DO NOTHING;

  -- Level 1: parts made from one raw material (+ sometimes primer), 1..3 machining steps.
  FOR i IN 1..120 LOOP
    cur_sku := 'PRT-' || (1000 + i);
    parts := parts || cur_sku;
    INSERT INTO products (sku, name, category, list_price) VALUES (
      cur_sku,
      part_names[1 + floor(random() * array_length(part_names, 1))::int] || ' '
        || (20 + 5 * floor(random() * 57)::int) || ' mm',
      'parts',
      round((300 + random() * 4700)::numeric, -1)
    ) ON CONFLICT DO NOTHING;
    IF random() < 0.75 THEN
      INSERT INTO bom_lines VALUES (cur_sku, 1, NULL,
        raw_kg[1 + floor(random() * array_length(raw_kg, 1))::int],
        round((0.2 + random() * 11.8)::numeric, 3),
        (ARRAY[2, 3, 5, 8])[1 + floor(random() * 4)::int]) ON CONFLICT DO NOTHING;
    ELSE
      INSERT INTO bom_lines VALUES (cur_sku, 1, NULL,
        raw_m[1 + floor(random() * array_length(raw_m, 1))::int],
        round((0.1 + random() * 2.9)::numeric, 3),
        (ARRAY[1, 2, 3])[1 + floor(random() * 3)::int]) ON CONFLICT DO NOTHING;
    END IF;
    IF random() < 0.3 THEN
      INSERT INTO bom_lines VALUES (cur_sku, 2, NULL, 'PRM-GF021',
        round((0.02 + random() * 0.2)::numeric, 3), 15) ON CONFLICT DO NOTHING;
    END IF;
    n := 1 + floor(random() * 3)::int;
    k := 0;  -- machining steps go forward through the list: cut before press, ...
    FOR j IN 1..n LOOP
      k := k + 1 + floor(random() * (array_length(machining, 1) - k - (n - j)))::int;
      INSERT INTO routing_operations VALUES (cur_sku, j * 10, machining[k],
        5 * (2 + floor(random() * 11)::int),
        round((0.5 + random() * 14.5)::numeric, 1)) ON CONFLICT DO NOTHING;
    END LOOP;
  END LOOP;

  -- Level 2: sub-assemblies of 2..4 distinct parts plus fasteners, welded or bolted.
  FOR i IN 1..80 LOOP
    cur_sku := 'SUB-' || (2000 + i);
    subs := subs || cur_sku;
    INSERT INTO products (sku, name, category, list_price) VALUES (
      cur_sku,
      sub_names[1 + floor(random() * array_length(sub_names, 1))::int] || ' '
        || (chr(65 + floor(random() * 26)::int)) || (100 + floor(random() * 900)::int),
      'sub-assemblies',
      round((3000 + random() * 17000)::numeric, -1)
    ) ON CONFLICT DO NOTHING;
    picked := '{}';
    n := 2 + floor(random() * 3)::int;
    next_line := 0;
    WHILE coalesce(array_length(picked, 1), 0) < n LOOP
      component := parts[1 + floor(random() * array_length(parts, 1))::int];
      CONTINUE WHEN component = ANY (picked);
      picked := picked || component;
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line, component, NULL, 1 + floor(random() * 4)::int,
        (ARRAY[0, 0, 1])[1 + floor(random() * 3)::int]) ON CONFLICT DO NOTHING;
    END LOOP;
    IF random() < 0.5 THEN
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line, NULL, 'WLD-WIRE-1.2',
        round((0.05 + random() * 0.35)::numeric, 3), 5) ON CONFLICT DO NOTHING;
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line, NULL, 'WLD-GAS-ARCO2',
        10 * (5 + floor(random() * 20)::int), 0) ON CONFLICT DO NOTHING;
      INSERT INTO routing_operations VALUES (cur_sku, 10, 'WELD-1', 5 * (4 + floor(random() * 6)::int),
        round((3 + random() * 22)::numeric, 1)) ON CONFLICT DO NOTHING;
    ELSE
      INSERT INTO routing_operations VALUES (cur_sku, 10, 'ASSY-1', 5 * (2 + floor(random() * 4)::int),
        round((2 + random() * 13)::numeric, 1)) ON CONFLICT DO NOTHING;
    END IF;
    FOR j IN 1..(1 + floor(random() * 2)::int) LOOP
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line, NULL,
        fasteners[1 + floor(random() * array_length(fasteners, 1))::int],
        2 * (2 + floor(random() * 7)::int), 2) ON CONFLICT DO NOTHING;
    END LOOP;
    IF random() < 0.4 THEN
      INSERT INTO routing_operations VALUES (cur_sku, 20, 'QC-1', 10,
        round((1 + random() * 4)::numeric, 1)) ON CONFLICT DO NOTHING;
    END IF;
  END LOOP;

  -- Level 3: assemblies of 1..3 sub-assemblies and 0..2 parts, painted.
  FOR i IN 1..60 LOOP
    cur_sku := 'ASM-' || (3000 + i);
    asms := asms || cur_sku;
    INSERT INTO products (sku, name, category, list_price) VALUES (
      cur_sku,
      asm_names[1 + floor(random() * array_length(asm_names, 1))::int] || ' '
        || (400 + 100 * floor(random() * 27)::int),
      'assemblies',
      round((15000 + random() * 65000)::numeric, -1)
    ) ON CONFLICT DO NOTHING;
    picked := '{}';
    next_line := 0;
    n := 1 + floor(random() * 3)::int;
    WHILE coalesce(array_length(picked, 1), 0) < n LOOP
      component := subs[1 + floor(random() * array_length(subs, 1))::int];
      CONTINUE WHEN component = ANY (picked);
      picked := picked || component;
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line, component, NULL, 1 + floor(random() * 2)::int, 0)
        ON CONFLICT DO NOTHING;
    END LOOP;
    FOR j IN 1..floor(random() * 3)::int LOOP
      component := parts[1 + floor(random() * array_length(parts, 1))::int];
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line, component, NULL, 1 + floor(random() * 4)::int, 1)
        ON CONFLICT DO NOTHING;
    END LOOP;
    next_line := next_line + 1;
    INSERT INTO bom_lines VALUES (cur_sku, next_line, NULL,
      paints[1 + floor(random() * array_length(paints, 1))::int],
      round((0.1 + random() * 1.4)::numeric, 3), 10) ON CONFLICT DO NOTHING;
    IF random() < 0.5 THEN
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line, NULL,
        bought_in[1 + floor(random() * array_length(bought_in, 1))::int],
        1 + floor(random() * 4)::int, 0) ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO routing_operations VALUES
      (cur_sku, 10, 'ASSY-2', 5 * (3 + floor(random() * 6)::int), round((8 + random() * 40)::numeric, 1)),
      (cur_sku, 20, 'PAINT-1', 45, round((2 + random() * 10)::numeric, 1)),
      (cur_sku, 30, 'QC-1', 10, round((2 + random() * 8)::numeric, 1))
    ON CONFLICT DO NOTHING;
  END LOOP;

  -- Level 4: finished products of 1..2 assemblies, maybe sub-assemblies, drives,
  -- castors, packed on a pallet.
  FOR i IN 1..40 LOOP
    cur_sku := 'FIN-' || (4000 + i);
    k := 1 + floor(random() * array_length(fin_kinds, 1))::int;
    INSERT INTO products (sku, name, category, list_price) VALUES (
      cur_sku,
      fin_kinds[k][2] || ' ' || (500 + 250 * floor(random() * 11)::int),
      fin_kinds[k][1],
      round((60000 + random() * 390000)::numeric, -1)
    ) ON CONFLICT DO NOTHING;
    picked := '{}';
    next_line := 0;
    n := 1 + floor(random() * 2)::int;
    WHILE coalesce(array_length(picked, 1), 0) < n LOOP
      component := asms[1 + floor(random() * array_length(asms, 1))::int];
      CONTINUE WHEN component = ANY (picked);
      picked := picked || component;
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line, component, NULL, 1 + floor(random() * 2)::int, 0)
        ON CONFLICT DO NOTHING;
    END LOOP;
    FOR j IN 1..floor(random() * 3)::int LOOP
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line,
        subs[1 + floor(random() * array_length(subs, 1))::int], NULL,
        1 + floor(random() * 4)::int, 0) ON CONFLICT DO NOTHING;
    END LOOP;
    IF fin_kinds[k][1] IN ('conveyors', 'workbenches') AND random() < 0.7 THEN
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line, NULL,
        drives[1 + floor(random() * array_length(drives, 1))::int], 1, 0) ON CONFLICT DO NOTHING;
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line, NULL, 'CBL-3X1.5',
        round((1.5 + random() * 6)::numeric, 1), 5) ON CONFLICT DO NOTHING;
    END IF;
    IF fin_kinds[k][1] = 'trolleys' THEN
      next_line := next_line + 1;
      INSERT INTO bom_lines VALUES (cur_sku, next_line, NULL, 'CST-100', 4, 0) ON CONFLICT DO NOTHING;
    END IF;
    next_line := next_line + 1;
    INSERT INTO bom_lines VALUES (cur_sku, next_line, NULL, 'PCK-PALLET', 1, 0) ON CONFLICT DO NOTHING;
    next_line := next_line + 1;
    INSERT INTO bom_lines VALUES (cur_sku, next_line, NULL, 'PCK-FILM',
      5 * (4 + floor(random() * 8)::int), 10) ON CONFLICT DO NOTHING;
    INSERT INTO routing_operations VALUES
      (cur_sku, 10, 'ASSY-2', 5 * (6 + floor(random() * 7)::int), round((20 + random() * 100)::numeric, 1)),
      (cur_sku, 20, 'QC-1', 15, round((5 + random() * 20)::numeric, 1)),
      (cur_sku, 30, 'PACK-1', 10, round((5 + random() * 15)::numeric, 1))
    ON CONFLICT DO NOTHING;
  END LOOP;
END
$seed$;
