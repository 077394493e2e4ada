//! The Codex Flow app's config page, compiled to WebAssembly and mounted by the app's `module.js`
//! as the body of `AppPlugin.addConfigPage`.
//!
//! The form's rules (what is sent, how secrets behave, what is checked locally) are pure and tested
//! on the host (`form`); the Yew component (`ui`) exists only in the wasm32 build.

pub mod form;

#[cfg(target_arch = "wasm32")]
mod ui;
#[cfg(target_arch = "wasm32")]
pub use ui::mount_config;
