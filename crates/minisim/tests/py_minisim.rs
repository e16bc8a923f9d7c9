//! A py-minisim README-example spec imports, validates and renders.

use minisim::{Movie, SimulateOptions, Spec, simulate};

#[test]
fn the_py_minisim_readme_example_imports_and_renders() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/py-minisim/readme-example.json");
    let imported = Spec::from_py_minisim_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    let rec = simulate(&imported.spec, &SimulateOptions::default()).unwrap();
    assert_eq!(rec.observed.shape(), (200, 256, 256));
    let Movie::Counts(c) = &rec.observed else {
        panic!("the README example has a sensor")
    };
    // Cells were placed at the README's density (400 000/mm³ over 0–200 µm) and light
    // reached the 8-bit sensor without saturating it everywhere.
    assert!(rec.truth.cells.len() > 1000, "{}", rec.truth.cells.len());
    let mean = c.iter().map(|&v| v as f64).sum::<f64>() / c.len() as f64;
    assert!(mean > 1.0 && mean < 250.0, "{mean}");
    // "auto" focus landed inside the cells' depth range.
    assert!((0.0..=200.0).contains(&rec.truth.focal_depth_um));
}
