using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Marketing.Sdk.Testing.Emulators.Smtp;

/// <summary>Where in an SMTP transaction a fault is answered.</summary>
public enum SmtpEmulatorStage
{
    /// <summary>The answer to <c>MAIL FROM</c>.</summary>
    MailFrom = 1,
    /// <summary>The answer to <c>RCPT TO</c>.</summary>
    RcptTo,
    /// <summary>The answer to the end of <c>DATA</c> (the message was received, then refused).</summary>
    Data,
}

/// <summary>One message the emulator accepted.</summary>
public sealed class SmtpEmulatorMessage
{
    internal SmtpEmulatorMessage(string from, IReadOnlyList<string> recipients, byte[] raw, MimeMessage message, bool dkimVerified, string? dkimDomain)
    {
        From = from;
        Recipients = recipients;
        Raw = raw;
        Message = message;
        DkimVerified = dkimVerified;
        DkimDomain = dkimDomain;
    }

    /// <summary>The envelope sender (<c>MAIL FROM</c>).</summary>
    [PersonalData]
    public string From { get; }

    /// <summary>The envelope recipients (<c>RCPT TO</c>).</summary>
    [PersonalData]
    public IReadOnlyList<string> Recipients { get; }

    /// <summary>The message as received (after dot-unstuffing).</summary>
    [PersonalData]
    public byte[] Raw { get; }

    /// <summary>The parsed message.</summary>
    [PersonalData]
    public MimeMessage Message { get; }

    /// <summary>Whether a <c>DKIM-Signature</c> of the message verified against a key the test published with <see cref="SmtpEmulator.PublishDkimKey"/>.</summary>
    public bool DkimVerified { get; }

    /// <summary>The <c>d=</c> domain of the verified signature, if any.</summary>
    public string? DkimDomain { get; }

    /// <summary>Describes the message without addresses or content.</summary>
    public override string ToString() => $"SmtpEmulatorMessage {{ Recipients = {Recipients.Count}, Bytes = {Raw.Length}, DkimVerified = {DkimVerified} }}";
}

/// <summary>A message held in <c>DATA</c> until the test releases it (see <see cref="SmtpEmulator.HoldNextMessage"/>).</summary>
public sealed class SmtpEmulatorHold
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a message arrived and is being held (its connection is open and unanswered).</summary>
    public Task Reached => _reached.Task;

    /// <summary>Lets the held message be answered (250).</summary>
    public void Release() => _released.TrySetResult();

    internal Task WaitAsync(CancellationToken cancellationToken)
    {
        _reached.TrySetResult();
        return _released.Task.WaitAsync(cancellationToken);
    }
}

/// <summary>
/// A real SMTP server on loopback (the SmtpServer library, an ephemeral port) for tests of email senders: it records
/// what it accepts, parses it with MimeKit, verifies DKIM signatures (RFC 6376) with MimeKit's <see cref="DkimVerifier"/>
/// against keys the test publishes in place of DNS, and answers 4xx/5xx on demand at <c>MAIL FROM</c>, <c>RCPT TO</c>
/// or the end of <c>DATA</c>; it can also drop the connection after receiving a message (the answer is lost) or hold a
/// message unanswered until the test releases it.
/// </summary>
public sealed class SmtpEmulator : IAsyncDisposable
{
    private readonly ConcurrentQueue<SmtpEmulatorMessage> _messages = new();
    private readonly ConcurrentQueue<(SmtpEmulatorStage Stage, int Code, string Text)> _faults = new();
    private readonly ConcurrentDictionary<string, (int Code, string Text)> _rejected = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<(string Domain, string Selector), string> _keys = new();
    private readonly ConcurrentQueue<SmtpEmulatorHold> _holds = new();
    private readonly ConcurrentDictionary<Guid, bool> _sessions = new();
    private readonly CancellationTokenSource _stop = new();
    private SmtpServer.SmtpServer? _server;
    private Task? _running;
    private int _dropNext;
    private int _transactions;

    /// <summary>The host to connect to (<c>127.0.0.1</c>).</summary>
    public string Host { get; } = "127.0.0.1";

    /// <summary>The port (known after <see cref="StartAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary>The messages accepted so far, in order.</summary>
    public IReadOnlyList<SmtpEmulatorMessage> Messages => [.. _messages];

    /// <summary>How many SMTP sessions (connections) started at least one transaction (<c>MAIL FROM</c>).</summary>
    public int Sessions => _sessions.Count;

    /// <summary>How many messages reached the end of <c>DATA</c> (accepted, refused, dropped or held).</summary>
    public int DataTransactions => Volatile.Read(ref _transactions);

    /// <summary>Starts listening on an ephemeral loopback port.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        var options = new SmtpServerOptionsBuilder()
            .ServerName("smtp-emulator.test")
            .Endpoint(b => b.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(this));
        services.Add(new Filter(this));
        _server = new SmtpServer.SmtpServer(options, services);
        _running = _server.StartAsync(_stop.Token);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (attempt < 200)
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false); // readiness only, never a verdict
            }
        }
    }

    /// <summary>Publishes a DKIM public key as DNS would at <c>{selector}._domainkey.{domain}</c>.</summary>
    /// <param name="domain">The signing domain (<c>d=</c>).</param>
    /// <param name="selector">The selector (<c>s=</c>).</param>
    /// <param name="publicKeyBase64">The key's SubjectPublicKeyInfo in base64 (the <c>p=</c> tag).</param>
    public void PublishDkimKey(string domain, string selector, string publicKeyBase64)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(selector);
        _keys[(domain.ToLowerInvariant(), selector.ToLowerInvariant())] = "v=DKIM1; k=rsa; p=" + publicKeyBase64;
    }

    /// <summary>Answers the next command of <paramref name="stage"/> with <paramref name="replyCode"/> and <paramref name="text"/> (once).</summary>
    /// <param name="stage">Where.</param>
    /// <param name="replyCode">A 4xx or 5xx reply code.</param>
    /// <param name="text">The reply text (usually starting with an enhanced status code, e.g. <c>4.7.1 Try again later</c>).</param>
    public void FailNext(SmtpEmulatorStage stage, int replyCode, string text) => _faults.Enqueue((stage, replyCode, text));

    /// <summary>Refuses <c>RCPT TO</c> of one address every time.</summary>
    /// <param name="address">The address.</param>
    /// <param name="replyCode">A 4xx or 5xx reply code.</param>
    /// <param name="text">The reply text.</param>
    public void RejectRecipient(string address, int replyCode, string text) => _rejected[address] = (replyCode, text);

    /// <summary>Records the next message, then closes its connection without answering the end of <c>DATA</c>.</summary>
    public void DropNextAnswer() => Interlocked.Exchange(ref _dropNext, 1);

    /// <summary>Holds the next message unanswered until <see cref="SmtpEmulatorHold.Release"/>; it is recorded when released.</summary>
    public SmtpEmulatorHold HoldNextMessage()
    {
        var hold = new SmtpEmulatorHold();
        _holds.Enqueue(hold);
        return hold;
    }

    /// <summary>Verifies the DKIM signatures of a message against the published keys: the <c>d=</c> domain of the first that verifies, or <see langword="null"/>.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    public async Task<string?> VerifyDkimAsync(MimeMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var verifier = new DkimVerifier(new KeyLocator(_keys));
        foreach (var header in message.Headers.Where(h => h.Id == HeaderId.DkimSignature))
        {
            try
            {
                if (await verifier.VerifyAsync(message, header, cancellationToken).ConfigureAwait(false))
                {
                    var d = header.Value.Split(';').Select(t => t.Trim()).FirstOrDefault(t => t.StartsWith("d=", StringComparison.Ordinal));
                    return d?[2..].Trim();
                }
            }
            catch (FormatException)
            {
                // a malformed signature (or one without a published key) does not verify
            }
        }
        return null;
    }

    private bool TryFault(SmtpEmulatorStage stage, out SmtpResponse response)
    {
        if (_faults.TryPeek(out var fault) && fault.Stage == stage && _faults.TryDequeue(out fault))
        {
            response = new SmtpResponse((SmtpReplyCode)fault.Code, fault.Text);
            return true;
        }
        response = SmtpResponse.Ok;
        return false;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var hold in _holds)
        {
            hold.Release();
        }
        if (_server is not null)
        {
            _server.Shutdown();
            try
            {
                await _server.ShutdownTask.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
        if (_running is not null)
        {
            try
            {
                await _running.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
            {
            }
        }
        _stop.Dispose();
    }

    private sealed class Filter(SmtpEmulator emulator) : IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
        {
            emulator._sessions.TryAdd(context.SessionId, true);
            return emulator.TryFault(SmtpEmulatorStage.MailFrom, out var response) ? throw new SmtpResponseException(response) : Task.FromResult(true);
        }

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            if (emulator._rejected.TryGetValue(to.AsAddress(), out var rejection))
            {
                throw new SmtpResponseException(new SmtpResponse((SmtpReplyCode)rejection.Code, rejection.Text));
            }
            return emulator.TryFault(SmtpEmulatorStage.RcptTo, out var response) ? throw new SmtpResponseException(response) : Task.FromResult(true);
        }
    }

    private sealed class Store(SmtpEmulator emulator) : IMessageStore
    {
        public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref emulator._transactions);
            var raw = buffer.ToArray();
            if (emulator.TryFault(SmtpEmulatorStage.Data, out var refusal))
            {
                return refusal;
            }
            if (emulator._holds.TryDequeue(out var hold))
            {
                await hold.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            using var stream = new MemoryStream(raw, writable: false);
            var message = await MimeMessage.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
            var domain = await emulator.VerifyDkimAsync(message, cancellationToken).ConfigureAwait(false);
            emulator._messages.Enqueue(new SmtpEmulatorMessage(transaction.From.AsAddress(), [.. transaction.To.Select(t => t.AsAddress())], raw, message, domain is not null, domain));
            if (Interlocked.Exchange(ref emulator._dropNext, 0) == 1)
            {
                // close the socket under the session: the client sees the connection end with no answer
                (context.Pipe as IDisposable)?.Dispose();
                throw new IOException("The emulator drops the connection before answering the end of DATA.");
            }
            return SmtpResponse.Ok;
        }
    }

    private sealed class KeyLocator(ConcurrentDictionary<(string Domain, string Selector), string> keys) : DkimPublicKeyLocatorBase
    {
        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            keys.TryGetValue((domain.ToLowerInvariant(), selector.ToLowerInvariant()), out var txt)
                ? GetPublicKey(txt)
                : throw new ParseException($"No DKIM key is published for the selector '{selector}'.", 0, 0);

        public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
    }
}
