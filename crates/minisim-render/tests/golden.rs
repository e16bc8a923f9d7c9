//! Golden hash of the default spec's observed counts. If this fails, the output of an
//! unchanged spec changed: bump MODEL_VERSION and refresh with UPDATE_EXPECT=1.

use minisim_render::{Movie, SimulateOptions, simulate};
use minisim_spec::{MODEL_VERSION, Spec};

#[test]
fn default_spec_observed_counts_are_golden() {
    let spec = Spec::default();
    let rec = simulate(&spec, &SimulateOptions::default()).unwrap();
    let Movie::Counts(c) = &rec.observed else {
        panic!("default spec has a sensor")
    };
    let mut hasher = blake3::Hasher::new();
    for &v in c.iter() {
        hasher.update(&v.to_le_bytes());
    }
    let actual = format!(
        "model {MODEL_VERSION}\nspec {}\nshape {:?}\nobserved {}\n",
        spec.cache_key(),
        c.shape(),
        hasher.finalize().to_hex()
    );
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/default_observed.txt");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).expect("golden file; run with UPDATE_EXPECT=1");
    assert_eq!(
        actual, expected,
        "observed counts of the default spec changed"
    );
}
