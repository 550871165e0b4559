//! `pxsnap cloud-snap`: a Portworx cloud snapshot, uploaded to the configured S3 endpoint.
//!
//! The same pipeline as `snap` with a cloud-type VolumeSnapshot; the differences are the
//! annotations, a long default timeout, and a heartbeat line for CI logs during the upload.

use crate::backend::stork::{CloudOptions, SnapshotKind};
use crate::cli::{CloudSnapArgs, GlobalArgs};
use crate::commands::snap::{SnapJob, SnapResult, run_job};
use crate::output::report::Outcome;
use crate::signals::Signals;

pub async fn run(
    global: &GlobalArgs,
    args: &CloudSnapArgs,
    signals: &mut Signals,
) -> Outcome<SnapResult> {
    let job = SnapJob {
        pvc: &args.pvc,
        hooks: args.hooks.options(args.snapshot.force),
        kind: SnapshotKind::Cloud(CloudOptions {
            cred_id: args.cred_id.clone(),
            incremental_count: args.incremental_count,
            delete_local: args.delete_local,
        }),
        timeout: args.timeout,
        options: &args.snapshot,
        heartbeat: Some(args.heartbeat),
        annotations: Default::default(),
    };
    run_job(global, &job, signals).await
}
