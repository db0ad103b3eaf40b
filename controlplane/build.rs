//! Compiles `shared/proto` into the tonic client and server used by the control plane.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = "../shared/proto";
    let control = "../shared/proto/smsgw/control/v1/control.proto";
    println!("cargo:rerun-if-changed={control}");
    tonic_prost_build::configure().compile_protos(&[control], &[proto_root])?;
    Ok(())
}
