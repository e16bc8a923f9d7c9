//! Every example spec in `examples/specs` validates and renders (shortened).

use minisim::{SimulateOptions, Spec, simulate};
use serde_json::json;

#[test]
fn every_example_spec_validates_and_renders() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/specs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let spec = Spec::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // A given trajectory fixes the frame count.
        let short = if spec
            .motion_crop()
            .is_some_and(|m| m.trajectory_um.is_some())
        {
            spec.clone()
        } else {
            spec.with_override("acquisition.frames", json!(12)).unwrap()
        };
        let rec = simulate(&short, &SimulateOptions::default()).unwrap();
        assert_eq!(rec.observed.frames() as u64, short.acquisition().frames);
        seen += 1;
    }
    assert!(seen >= 3, "{seen} example specs");
}
