using Marketing.Sdk.Testing.Emulators;

namespace Marketing.Sdk.Tests.Shared;

/// <summary>
/// Lets a client's timeout reach the wire only once the emulator has processed the request it holds back
/// (<see cref="FaultOptions.TimeoutRate"/> with an endless <see cref="FaultOptions.SlowResponse"/>). A short client
/// timeout on a busy machine can otherwise fire before the request has left the client, and a test of "the client
/// gave up on a request the platform did process" would then wait for a request the platform never saw. The client
/// still times out by its own clock (HttpClient.Timeout, the resilience handler's attempt timeout); the cancellation
/// is passed on as soon as the platform has the request, the state the test is about.
/// </summary>
internal sealed class ReachedPlatformHandler : DelegatingHandler
{
    private readonly PlatformEmulator _emulator;

    public ReachedPlatformHandler(PlatformEmulator emulator, HttpMessageHandler? inner = null)
    {
        _emulator = emulator;
        InnerHandler = inner ?? new SocketsHttpHandler();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var held = _emulator.HeldRequestsProcessed + 1;
        using var wire = new CancellationTokenSource();
        var send = base.SendAsync(request, wire.Token);
        try
        {
            return await send.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client gave up: pass that on once the platform holds the request (or the send ended by itself).
            await Task.WhenAny(send, _emulator.HeldRequestsProcessedAsync(held)).ConfigureAwait(false);
            await wire.CancelAsync().ConfigureAwait(false);
            try
            {
                (await send.ConfigureAwait(false)).Dispose();
            }
            catch (OperationCanceledException)
            {
            }
            catch (HttpRequestException)
            {
            }
            throw;
        }
    }
}
