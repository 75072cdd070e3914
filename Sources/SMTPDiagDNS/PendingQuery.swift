import NIOCore
import SMTPDiagDNSWire

/// One query in flight, owned by the event loop of the channel it was sent on.
final class PendingQuery {
    let question: Question
    let server: DNSServerAddress
    let transport: DNSTransport
    let promise: EventLoopPromise<DNSResponse>
    /// The encoded query (for UDP, kept for retransmission).
    let payload: ByteBuffer
    let timeout: Duration
    let retries: Int
    var attempts = 1
    var sentAt = NIODeadline.now()
    /// When it times out (UDP: the handler's sweep looks).
    var deadline = NIODeadline.distantFuture
    var timer: Scheduled<Void>?
    /// A response that had our id and source but did not decode: reported if nothing better comes.
    var malformed: DNSWireError?

    init(
        question: Question, server: DNSServerAddress, transport: DNSTransport, promise: EventLoopPromise<DNSResponse>,
        payload: ByteBuffer, timeout: Duration, retries: Int
    ) {
        self.question = question
        self.server = server
        self.transport = transport
        self.promise = promise
        self.payload = payload
        self.timeout = timeout
        self.retries = retries
    }

    func succeed(_ message: Message, size: Int) {
        timer?.cancel()
        let elapsed = NIODeadline.now() - sentAt
        promise.succeed(
            DNSResponse(
                message: message, server: server, transport: transport,
                roundTrip: .nanoseconds(elapsed.nanoseconds), attempts: attempts, size: size))
    }

    func fail(_ error: DNSClientError) {
        timer?.cancel()
        promise.fail(error)
    }

    var timeoutError: DNSClientError {
        if let malformed { return .malformedResponse(server: server, transport: transport, error: malformed) }
        return .timeout(server: server, transport: transport, attempts: attempts, timeout: timeout)
    }
}

/// Decides what to do with an incoming message for a pending query: accept it, or say why not.
enum ResponseCheck {
    case accept(Message)
    case malformed(DNSWireError)
    case mismatchedQuestion

    /// RFC 5452 §9.1: the id and source matched already; the message must decode, be a response, and
    /// carry exactly our question.
    init(_ bytes: ByteBuffer, for pending: PendingQuery) {
        var b = bytes
        let message: Message
        do {
            message = try Message.decode(from: &b)
        } catch {
            self = .malformed(error)
            return
        }
        guard message.header.isResponse, message.questions.count == 1, message.questions[0].matches(pending.question)
        else {
            self = .mismatchedQuestion
            return
        }
        self = .accept(message)
    }
}
