import Foundation

/// How many items make splitting them worth it: below this, callers do the work in place.
public let parallelChunksFrom = 256

/// Runs `work` over `count` items in chunks of `size` on every core and hands each chunk's output to `join` in
/// chunk order, on one thread at a time, as soon as it and the chunks before it are done: only a few outputs wait
/// at any moment, so the whole output is never held twice. On one core all of it runs here as one chunk.
public func inParallelChunks<Output>(
    count: Int, size: Int, _ work: (Range<Int>) -> Output, join: (Output) -> Void
) {
    let cores = min(8, ProcessInfo.processInfo.activeProcessorCount)
    guard cores > 1, size > 0 else {
        if count > 0 { join(work(0..<count)) }
        return
    }
    let chunks = (count + size - 1) / size
    let lock = NSLock()
    nonisolated(unsafe) var waiting = [Output?](repeating: nil, count: chunks)
    nonisolated(unsafe) var next = 0
    withoutActuallyEscaping(work) { work in
        withoutActuallyEscaping(join) { join in
            nonisolated(unsafe) let work = work
            nonisolated(unsafe) let join = join
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let output = work((c * size)..<min(count, (c + 1) * size))
                lock.lock()
                defer { lock.unlock() }
                waiting[c] = output
                while next < chunks, let done = waiting[next] {
                    join(done)
                    waiting[next] = nil
                    next += 1
                }
            }
        }
    }
}
