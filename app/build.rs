//! Compiles the wire declarations in `proto/` (the SDK services the REST gateway renders; see
//! `proto/README.md`) into a descriptor set, with imports taken from ibc-proto's descriptors.
//! A malformed declaration fails the build, not the node at start-up.

use std::error::Error;
use std::path::{Path, PathBuf};

use protox::file::{ChainFileResolver, DescriptorSetFileResolver, IncludeFileResolver};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("proto");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    collect(&dir, &dir, &mut files)?;
    files.sort();

    let ibc = DescriptorSetFileResolver::decode(ibc_proto::FILE_DESCRIPTOR_SET)?;
    let mut resolver = ChainFileResolver::new();
    resolver.add(IncludeFileResolver::new(dir.clone()));
    resolver.add(ibc);
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(false).include_source_info(false);
    for file in &files {
        compiler
            .open_file(file)
            .map_err(|e| format!("compiling proto/{file}: {e:?}"))?;
    }
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("estuary_rest.bin");
    std::fs::write(&out, compiler.encode_file_descriptor_set())?;
    Ok(())
}

/// Every `.proto` under `dir`, as a path relative to `root` (its import name).
fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), Box<dyn Error>> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            let rel = path.strip_prefix(root)?;
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}
