//! Schemas a dbt project already knows: models' columns from their SQL
//! through refs, seeds' headers, property files, catalog and manifest.

use std::path::Path;

use ripple_engine::dbt::{project_schema, Origin, ProjectFile};
use ripple_engine::{ChangeSpec, Dialect, Schema};

fn files(root: &Path) -> Vec<ProjectFile> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.push(ProjectFile { path: relative, text: std::fs::read_to_string(&path).unwrap() });
            }
        }
    }
    out
}

fn file(path: &str, text: &str) -> ProjectFile {
    ProjectFile { path: path.into(), text: text.into() }
}

fn columns(schema: &Schema, table: &str) -> Vec<String> {
    schema.columns(table).unwrap_or_else(|| panic!("no {table}")).iter().map(|c| c.name.clone()).collect()
}

#[test]
fn jaffle_shops_models_get_their_columns_from_their_sql_through_refs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/jaffle_shop");
    let project = project_schema(&files(&root), Dialect::Snowflake, None, None);
    assert!(project.conflicts.is_empty(), "{:?}", project.conflicts);
    assert_eq!(
        columns(&project.schema, "stg_orders"),
        ["order_id", "location_id", "customer_id", "subtotal_cents", "tax_paid_cents", "order_total_cents", "subtotal", "tax_paid", "order_total", "ordered_at"]
    );
    // `orders` reads `stg_orders` and `order_items` with `select *`: known only through them.
    let orders = columns(&project.schema, "orders");
    assert!(orders.starts_with(&["order_id".to_string(), "location_id".to_string()]), "{orders:?}");
    assert!(orders.contains(&"is_food_order".to_string()), "{orders:?}");
    let origin = project.origins.iter().find(|o| o.table == "orders").unwrap();
    assert_eq!((origin.origin, origin.path.as_deref()), (Origin::Sql, Some("models/marts/orders.sql")));
    // Every model of the project is derived.
    for model in ["stg_customers", "stg_products", "stg_order_items", "order_items", "customers"] {
        assert!(project.schema.columns(model).is_some(), "{model}: {:?}", project.origins.iter().map(|o| &o.table).collect::<Vec<_>>());
    }
}

#[test]
fn seeds_property_files_catalog_and_an_explicit_schema_rank_as_documented() {
    let files = vec![
        file("dbt_project.yml", "name: shop\nmodel-paths: [\"models\"]\nseed-paths: [\"data\"]\n"),
        file("data/raw_customers.csv", "id,first_name,\"last, name\"\n1,a,b\n"),
        file("models/stg_customers.sql", "select id as customer_id, first_name from {{ ref('raw_customers') }}"),
        // Documentation of some columns of a model, and of a source's.
        file("models/schema.yml", "version: 2\nmodels:\n  - name: stg_customers\n    columns:\n      - name: customer_id\nsources:\n  - name: ecom\n    tables:\n      - name: raw_orders\n        columns:\n          - name: id\n          - name: amount\n"),
        file("models/stg_orders.sql", "select id as order_id, amount from {{ source('ecom', 'raw_orders') }}"),
    ];
    let project = project_schema(&files, Dialect::DuckDb, None, None);
    assert_eq!(columns(&project.schema, "raw_customers"), ["id", "first_name", "last, name"]);
    assert_eq!(columns(&project.schema, "stg_customers"), ["customer_id", "first_name"]);
    assert_eq!(columns(&project.schema, "ecom.raw_orders"), ["id", "amount"]);
    assert_eq!(columns(&project.schema, "stg_orders"), ["order_id", "amount"]);
    let origin = |t: &str| project.origins.iter().find(|o| o.table == t).unwrap().origin;
    assert_eq!((origin("raw_customers"), origin("stg_customers"), origin("ecom.raw_orders")), (Origin::Seed, Origin::Sql, Origin::Properties));

    // The catalog is the warehouse's word: it agrees with the SQL here.
    let mut with_catalog = files.clone();
    with_catalog.push(file(
        "target/catalog.json",
        r#"{"nodes": {"model.shop.stg_customers": {"metadata": {"name": "stg_customers"}, "columns": {"FIRST_NAME": {"name": "FIRST_NAME", "index": 2}, "CUSTOMER_ID": {"name": "CUSTOMER_ID", "index": 1}}}}, "sources": {}}"#,
    ));
    let project = project_schema(&with_catalog, Dialect::DuckDb, None, None);
    assert_eq!(columns(&project.schema, "stg_customers"), ["CUSTOMER_ID", "FIRST_NAME"]);
    assert!(project.conflicts.is_empty(), "{:?}", project.conflicts);

    // Documentation naming a column the SQL does not have: reported, not guessed.
    let mut wrong = files.clone();
    wrong[3] = file("models/schema.yml", "models:\n  - name: stg_customers\n    columns:\n      - name: email\n");
    let project = project_schema(&wrong, Dialect::DuckDb, None, None);
    assert!(project.schema.columns("stg_customers").is_none());
    assert_eq!(project.conflicts.len(), 1);
    assert!(project.conflicts[0].message.contains("documents `email`"), "{:?}", project.conflicts);

    // A schema given explicitly wins.
    let explicit = Schema::from_json(r#"{"tables": {"stg_customers": {"columns": [{"name": "customer_id"}, {"name": "email"}]}}}"#).unwrap();
    let project = project_schema(&wrong, Dialect::DuckDb, Some(&explicit), None);
    assert_eq!(columns(&project.schema, "stg_customers"), ["customer_id", "email"]);
}

#[test]
fn unreadable_files_are_reported_with_their_place() {
    let files = vec![file("models/schema.yml", "models: [\n"), file("target/manifest.json", "{\"nodes\": ")];
    let project = project_schema(&files, Dialect::DuckDb, None, None);
    assert_eq!(project.problems.len(), 2, "{:?}", project.problems);
    assert!(project.problems.iter().any(|p| p.starts_with("target/manifest.json: line 1")), "{:?}", project.problems);
}

#[test]
fn a_catalog_built_before_the_change_agrees_with_sql_after_it() {
    // The project holds the producer's change (the model renamed
    // `order_date`, and its entry documents the new name); the catalog is
    // from the last build, before it.
    let files = vec![
        file("dbt_project.yml", "name: shop\n"),
        file("models/stg_orders.sql", "select id as order_id, order_date as ordered_on from {{ source('ecom', 'orders') }}"),
        file("models/schema.yml", "models:\n  - name: stg_orders\n    columns:\n      - name: ordered_on\nsources:\n  - name: ecom\n    schema: raw\n    tables:\n      - name: orders\n        columns:\n          - name: id\n          - name: order_date\n"),
        file(
            "target/catalog.json",
            r#"{"nodes": {"model.shop.stg_orders": {"metadata": {"name": "stg_orders"}, "columns": {"order_id": {"name": "order_id", "index": 1}, "order_date": {"name": "order_date", "index": 2}}}}, "sources": {}}"#,
        ),
    ];
    // Without the change, the two really disagree.
    let project = project_schema(&files, Dialect::DuckDb, None, None);
    assert!(project.schema.columns("stg_orders").is_none());
    assert_eq!(project.conflicts.len(), 1, "{:?}", project.conflicts);

    let change = ChangeSpec::from_json(r#"{"dataset": "stg_orders", "changes": [{"kind": "rename_column", "column": "order_date", "to": "ordered_on"}]}"#).unwrap();
    let project = project_schema(&files, Dialect::DuckDb, None, Some(&change));
    assert!(project.conflicts.is_empty(), "{:?}", project.conflicts);
    assert_eq!(columns(&project.schema, "stg_orders"), ["order_id", "order_date"], "consumers are read against the columns before the change");

    // The sources, with the relation each stands for; a change naming the
    // relation reads the source's columns before it.
    assert_eq!(project.sources.iter().map(|s| (s.name.as_str(), s.relation.as_str())).collect::<Vec<_>>(), [("ecom.orders", "raw.orders")]);
    let mut moved = files.clone();
    moved[2] = file("models/schema.yml", "sources:\n  - name: ecom\n    schema: raw\n    tables:\n      - name: orders\n        columns:\n          - name: id\n          - name: placed_on\n");
    let change = ChangeSpec::from_json(r#"{"dataset": "raw.orders", "changes": [{"kind": "rename_column", "column": "order_date", "to": "placed_on"}]}"#).unwrap();
    let project = project_schema(&moved, Dialect::DuckDb, None, Some(&change));
    assert_eq!(columns(&project.schema, "ecom.orders"), ["id", "order_date"]);
}

#[test]
fn a_model_whose_columns_a_jinja_loop_writes_gives_way_to_the_catalog() {
    let files = vec![
        file("dbt_project.yml", "name: shop\n"),
        file("seeds/payments.csv", "order_id,method,amount\n1,card,10\n"),
        file(
            "models/orders.sql",
            "{% set methods = ['card', 'cash'] %}\nselect order_id,\n{%- for m in methods %}\n  sum(case when method = '{{ m }}' then amount end) as {{ m }}_amount,\n{%- endfor %}\n  sum(amount) as total\nfrom {{ ref('payments') }} group by 1",
        ),
        file(
            "target/catalog.json",
            r#"{"nodes": {"model.shop.orders": {"metadata": {"name": "orders"}, "columns": {"order_id": {"name": "order_id", "index": 1}, "card_amount": {"name": "card_amount", "index": 2}, "cash_amount": {"name": "cash_amount", "index": 3}, "total": {"name": "total", "index": 4}}}}, "sources": {}}"#,
        ),
    ];
    let project = project_schema(&files, Dialect::DuckDb, None, None);
    assert!(project.conflicts.is_empty(), "{:?}", project.conflicts);
    assert_eq!(columns(&project.schema, "orders"), ["order_id", "card_amount", "cash_amount", "total"]);
    assert_eq!(project.origins.iter().find(|o| o.table == "orders").unwrap().origin, Origin::Catalog);
    // Without the catalog its columns are not known: `*` over it goes to a person.
    let project = project_schema(&files[..3], Dialect::DuckDb, None, None);
    assert!(project.schema.columns("orders").is_none());
    assert!(project.conflicts.is_empty(), "{:?}", project.conflicts);
}
