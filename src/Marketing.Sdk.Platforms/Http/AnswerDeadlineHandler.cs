namespace Marketing.Sdk.Platforms.Http;

/// <summary>
/// Bounds the time an answer's body may take once its headers have arrived: the resilience handler times each
/// attempt only up to the headers (calls are sent with <see cref="HttpCompletionOption.ResponseHeadersRead"/>), so a
/// platform that sends headers and then stalls or drips its body would hold the call forever. The body is read
/// within <c>deadline</c> of its headers; after that a read fails with <see cref="TaskCanceledException"/>, the
/// transport failure a buffered read would raise.
/// </summary>
internal sealed class AnswerDeadlineHandler(Func<TimeSpan> deadline, TimeProvider timeProvider) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Content is { } content)
        {
            var bounded = new StreamContent(new DeadlineStream(await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), content, deadline(), timeProvider));
            foreach (var header in content.Headers)
            {
                bounded.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
            response.Content = bounded;
        }
        return response;
    }

    private sealed class DeadlineStream(Stream inner, HttpContent owner, TimeSpan deadline, TimeProvider timeProvider) : Stream
    {
        private readonly CancellationTokenSource _expired = CreateExpiry(deadline, timeProvider);

        private static CancellationTokenSource CreateExpiry(TimeSpan deadline, TimeProvider timeProvider) =>
            deadline == Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(deadline, timeProvider);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _expired.Token);
            try
            {
                return await inner.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (_expired.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TaskCanceledException("the answer body did not arrive within the call's total timeout", ex);
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _expired.Dispose();
                inner.Dispose();
                owner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
