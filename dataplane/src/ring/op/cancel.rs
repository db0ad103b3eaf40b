//! `IORING_OP_ASYNC_CANCEL` for one in-flight request. The cancel request owns no memory and no
//! slot: its own CQE carries [`CANCEL_USER_DATA`](crate::ring::CANCEL_USER_DATA) and is skipped by
//! the completion drain. The target's slot stays until the target's final CQE (usually
//! `ECANCELED`), so cancelling never frees kernel-bound memory early.

use io_uring::{opcode, squeue};

use crate::ring::CANCEL_USER_DATA;

pub(in crate::ring) fn entry(target_user_data: u64) -> squeue::Entry {
    opcode::AsyncCancel::new(target_user_data)
        .build()
        .user_data(CANCEL_USER_DATA)
}
