//! The Codex Flow app's config page, compiled to WebAssembly and mounted by the app's `module.js`
//! as the body of `AppPlugin.addConfigPage`.
//!
//! The form's rules (what is sent, how secrets behave, what is checked locally) are pure and tested
//! on the host (`form`); the Yew component (`ui`) exists only in the wasm32 build.

pub mod form;
pub mod page;

#[cfg(target_arch = "wasm32")]
mod ui;
#[cfg(target_arch = "wasm32")]
pub use ui::mount_config;

/// The page's allocator: talc, several kilobytes smaller in the `.wasm` than the standard dlmalloc.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
