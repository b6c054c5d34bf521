//! Interchange control numbers (ISA13/GS06) handed out from blocks a process reserves in the
//! partner's counter, so a check that goes to the payer does not write and commit the counter
//! each time (one write and one flushed commit per [`BLOCK`] checks instead of per check).
//!
//! Every number is still handed out once, across processes and restarts: a block is committed
//! before its first number is used, and a block a process leaves unfinished is skipped, not
//! reused. X12 asks a sender for unique control numbers, not for consecutive ones.

use std::collections::HashMap;

use sqlx::PgPool;
use tokio::sync::Mutex;

use crate::store::{self, StoreError};

/// Numbers reserved at once per partner. A restart skips at most this many minus one.
pub const BLOCK: u32 = 100;

/// The numbers this process may still hand out, per trading partner.
#[derive(Debug, Default)]
pub struct ControlNumberBlocks {
    left: Mutex<HashMap<String, Block>>,
}

/// The unused part of a reserved block: `next..=last`.
#[derive(Debug, Clone, Copy)]
struct Block {
    next: u32,
    last: u32,
}

impl ControlNumberBlocks {
    /// The next number for `partner`, reserving a new block in `pool` when this one is used up.
    pub async fn next(&self, pool: &PgPool, partner: &str) -> Result<u32, StoreError> {
        // held across the reservation, so two checks of one process never reserve a block each
        let mut left = self.left.lock().await;
        if let Some(block) = left.get_mut(partner)
            && block.next <= block.last
        {
            let n = block.next;
            block.next += 1;
            return Ok(n);
        }
        let reserved = store::reserve_control_numbers(pool, partner, BLOCK).await?;
        let n = *reserved.start();
        left.insert(partner.to_owned(), Block { next: n + 1, last: *reserved.end() });
        Ok(n)
    }
}
