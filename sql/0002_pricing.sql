-- 0002_pricing: reference data of the Pricing API (materials, work-centre rates,
-- products with BOMs and routings, overhead/margin, discount tiers) and the
-- price-list version that every change to it bumps.
--
-- Runs in one transaction (the migration runner wraps it) as the database owner,
-- not a superuser. Shared tables: `work_centers` and `products` may already exist
-- from the MES migration (0003_mes.sql), so they are created only if missing and then extended.
--
-- Exactness: every numeric column has a scale the calculator holds exactly
-- (src/pricing/money.hpp): money numeric(14,2) -> kopecks, quantities
-- numeric(18,6) -> millionths, minutes numeric(12,4) -> millionths of a minute,
-- percentages numeric(5,2)/(6,2) -> basis points.
--
-- Change tracking: a statement-level trigger on every table that feeds a price
-- increments price_list_version.version and sends NOTIFY sf_pricing_changed with
-- the table name as payload. Both happen inside the writing transaction: the
-- version and the data commit together, and the notification is delivered only
-- on commit. Bumping the single version row serialises concurrent writers to
-- reference data, which are rare admin edits.

CREATE TABLE IF NOT EXISTS work_centers (
  code text PRIMARY KEY,
  name text NOT NULL
);
ALTER TABLE work_centers
  ADD COLUMN IF NOT EXISTS hourly_rate numeric(14,2) NOT NULL DEFAULT 0
    CONSTRAINT work_centers_hourly_rate_check CHECK (hourly_rate >= 0);
COMMENT ON COLUMN work_centers.hourly_rate IS
  'RUB per hour of machine time, setup and run alike; 0 = not priced yet';

CREATE TABLE IF NOT EXISTS products (
  sku text PRIMARY KEY,
  name text NOT NULL,
  category text NOT NULL
);
ALTER TABLE products
  ADD COLUMN IF NOT EXISTS list_price numeric(14,2)
    CONSTRAINT products_list_price_check CHECK (list_price >= 0);
COMMENT ON COLUMN products.list_price IS
  'Shop catalogue price in RUB; NULL = not offered in the shop. Not used by the calculator';

CREATE TABLE materials (
  code text PRIMARY KEY,
  name text NOT NULL,
  unit text NOT NULL CHECK (unit IN ('kg', 'm', 'pcs', 'l')),
  price numeric(14,2) NOT NULL CHECK (price > 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN materials.price IS 'RUB per one `unit` of the material';

-- updated_at follows every change, including ones made directly in the database.
CREATE FUNCTION materials_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER materials_touch_updated_at
  BEFORE UPDATE ON materials
  FOR EACH ROW EXECUTE FUNCTION materials_touch_updated_at();

-- One line of a bill of materials: per unit of product_sku, `quantity` of either a
-- material (in its unit) or a sub-assembly (in units of that product), plus
-- scrap_pct percent lost in production.
CREATE TABLE bom_lines (
  product_sku text NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
  line_no integer NOT NULL CHECK (line_no > 0),
  component_sku text REFERENCES products (sku),
  material_code text REFERENCES materials (code),
  quantity numeric(18,6) NOT NULL CHECK (quantity > 0),
  scrap_pct numeric(5,2) NOT NULL DEFAULT 0 CHECK (scrap_pct >= 0 AND scrap_pct <= 100),
  PRIMARY KEY (product_sku, line_no),
  CONSTRAINT bom_lines_one_component CHECK (num_nonnulls(component_sku, material_code) = 1),
  -- Only the shortest cycle is cheap to forbid here; longer ones are caught by the
  -- calculator (bom_cycle).
  CONSTRAINT bom_lines_not_self CHECK (component_sku <> product_sku)
);
-- "Where used" lookups, and the foreign keys' ON DELETE checks.
CREATE INDEX bom_lines_component_sku_idx ON bom_lines (component_sku)
  WHERE component_sku IS NOT NULL;
CREATE INDEX bom_lines_material_code_idx ON bom_lines (material_code)
  WHERE material_code IS NOT NULL;

CREATE TABLE routing_operations (
  product_sku text NOT NULL REFERENCES products (sku) ON DELETE CASCADE,
  seq integer NOT NULL CHECK (seq > 0),
  work_center text NOT NULL REFERENCES work_centers (code),
  setup_minutes numeric(12,4) NOT NULL DEFAULT 0 CHECK (setup_minutes >= 0),
  run_minutes_per_unit numeric(12,4) NOT NULL CHECK (run_minutes_per_unit >= 0),
  PRIMARY KEY (product_sku, seq)
);
CREATE INDEX routing_operations_work_center_idx ON routing_operations (work_center);

-- Exactly one row (id is always true).
CREATE TABLE pricing_parameters (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  overhead_pct numeric(6,2) NOT NULL DEFAULT 0 CHECK (overhead_pct >= 0),
  margin_pct numeric(6,2) NOT NULL DEFAULT 0 CHECK (margin_pct >= 0)
);
INSERT INTO pricing_parameters (id) VALUES (true);

-- The tier with the greatest min_quantity <= ordered quantity applies.
CREATE TABLE discount_tiers (
  min_quantity integer PRIMARY KEY CHECK (min_quantity >= 1),
  discount_pct numeric(5,2) NOT NULL CHECK (discount_pct >= 0 AND discount_pct <= 100)
);

-- Exactly one row; only the triggers below write it.
CREATE TABLE price_list_version (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO price_list_version (id, version) VALUES (true, 1);

CREATE FUNCTION pricing_reference_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE price_list_version SET version = version + 1, changed_at = now();
  PERFORM pg_notify('sf_pricing_changed', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION pricing_reference_changed() IS
  'Statement trigger: bump price_list_version and NOTIFY sf_pricing_changed, payload = table';

-- products is included so a direct change to the catalogue also reaches the caches
-- of GET /products; work_centers and products may carry other modules' triggers,
-- hence the distinct trigger name.
CREATE TRIGGER pricing_reference_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON materials
  FOR EACH STATEMENT EXECUTE FUNCTION pricing_reference_changed();
CREATE TRIGGER pricing_reference_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON work_centers
  FOR EACH STATEMENT EXECUTE FUNCTION pricing_reference_changed();
CREATE TRIGGER pricing_reference_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION pricing_reference_changed();
CREATE TRIGGER pricing_reference_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bom_lines
  FOR EACH STATEMENT EXECUTE FUNCTION pricing_reference_changed();
CREATE TRIGGER pricing_reference_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON routing_operations
  FOR EACH STATEMENT EXECUTE FUNCTION pricing_reference_changed();
CREATE TRIGGER pricing_reference_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pricing_parameters
  FOR EACH STATEMENT EXECUTE FUNCTION pricing_reference_changed();
CREATE TRIGGER pricing_reference_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON discount_tiers
  FOR EACH STATEMENT EXECUTE FUNCTION pricing_reference_changed();
