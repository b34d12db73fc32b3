//! Generates the gRPC server, client and message types from `proto/`, plus the encoded
//! descriptor set that server reflection serves (so `grpcurl` works without the .proto files).
//!
//! protoc comes from `protoc-bin-vendored`: building needs no system protobuf compiler.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = "proto";
    let protos = ["proto/firstseen/v1/firstseen.proto"];
    let well_known_types = protoc_bin_vendored::include_path()?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure()
        // Malformed and oversized messages are the sender's fault (INVALID_ARGUMENT), not tonic's
        // default INTERNAL and OUT_OF_RANGE.
        .codec_path("crate::proto::CheckedCodec")
        .file_descriptor_set_path(out_dir.join("firstseen_descriptor.bin"))
        .compile_with_config(config, &protos.map(PathBuf::from), &[PathBuf::from(proto_root), well_known_types])?;
    println!("cargo:rerun-if-changed={proto_root}");
    Ok(())
}
