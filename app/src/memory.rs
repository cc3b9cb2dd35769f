//! Giving back to the OS the memory an unusually large block freed.
//!
//! glibc keeps freed heap in its arenas. After the first block of a chain whose genesis holds a
//! million accounts (or a state-sync restore), the genesis JSON, the write set and the tree
//! update batch are all freed, but without a trim the node would keep those gigabytes resident
//! for the rest of its life. Resident memory should be bounded by the store's page cache and
//! the mempool, not by the largest block the node ever executed.

/// A block writing at least this many keys is followed by a trim (an ordinary block writes a
/// few thousand at most; a trim walks the free lists, a few milliseconds).
pub const LARGE_BLOCK_WRITES: usize = 100_000;

/// Returns freed heap pages to the OS (glibc's `malloc_trim`); a no-op on other allocators.
/// Touches no state: it cannot change what any node computes.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_freed() {
    // SAFETY: malloc_trim takes no pointers and only walks the allocator's own free lists; it
    // is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() {}
