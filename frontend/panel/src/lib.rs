//! The Codex Flow panel: the pipeline as a health-coloured flow diagram with
//! drill-down, compiled to WebAssembly and mounted by `module.js`.
//!
//! Geometry, the view at a moment and the charts are pure and tested on the
//! host; the Yew components (`ui`) exist only in the wasm32 build.

pub mod charts;
pub mod layout;
pub mod options;
pub mod state;
pub mod view;

#[cfg(target_arch = "wasm32")]
mod ui;
#[cfg(target_arch = "wasm32")]
pub use ui::{mount, PanelHandle};

/// The panel's allocator: talc is several kilobytes smaller in the `.wasm` than the standard
/// dlmalloc. The component tests install a counting allocator of their own instead (feature
/// `test-allocator`), to see every byte a render leaves behind.
#[cfg(all(target_arch = "wasm32", not(feature = "test-allocator")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
