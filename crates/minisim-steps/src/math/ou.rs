//! Ornstein–Uhlenbeck processes sampled on a regular grid.
//!
//! Exact discretisation of dx = −x/τ dt + σ√(2/τ) dW with unit stationary variance:
//! x' = ρ·x + √(1 − ρ²)·ξ, ρ = e^{−Δt/τ}, ξ ~ N(0, 1). Scale by the desired σ outside.

/// Correlation between successive samples, `exp(−dt/τ)`.
pub fn rho(dt: f64, tau: f64) -> f64 {
    (-dt / tau).exp()
}

/// One exact step of a unit-variance OU process given a standard normal draw.
pub fn step(x: f64, rho: f64, normal: f64) -> f64 {
    rho * x + (1.0 - rho * rho).sqrt() * normal
}
