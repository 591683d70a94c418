using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Marketing.Sdk.Content.Tests;

/// <summary>
/// A scripted stand-in for a model: each request takes the next step of the script (an answer, a refusal, a failure or a
/// wait on the request's token) and every request is captured with its messages and options.
/// </summary>
internal sealed class ScriptedChatClient : IChatClient
{
    private readonly Queue<Func<IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatResponse>>> _script = new();
    private readonly Lock _gate = new();

    public List<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> Calls { get; } = [];

    /// <summary>Signalled each time a request starts waiting on its token (see <see cref="Hang"/>).</summary>
    public SemaphoreSlim Waiting { get; } = new(0);

    /// <summary>Every text sent to the model, one entry per message.</summary>
    public IEnumerable<string> SentTexts => Calls.SelectMany(c => c.Messages).Select(m => m.Text);

    public ScriptedChatClient Then(Func<IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatResponse>> step)
    {
        _script.Enqueue(step);
        return this;
    }

    public ScriptedChatClient Answer(string text, long input = 120, long output = 80, ChatFinishReason? finish = null) =>
        Then((_, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            FinishReason = finish ?? ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output },
        }));

    /// <summary>Answers with variants of text fields (and optional list fields).</summary>
    public ScriptedChatClient Variants(params object[] variants) => Answer(Json(variants));

    public ScriptedChatClient Throw(Exception e) => Then((_, _) => Task.FromException<ChatResponse>(e));

    /// <summary>Waits on the request's token (a model that never answers), signalling <see cref="Waiting"/>.</summary>
    public ScriptedChatClient Hang() => Then(async (_, token) =>
    {
        Waiting.Release();
        await Task.Delay(Timeout.Infinite, token);
        throw new InvalidOperationException("unreachable");
    });

    public static string Json(params object[] variants) =>
        JsonSerializer.Serialize(new { variants, refusal = (string?)null });

    public static object Sms(string body) => new { fields = new Dictionary<string, string> { ["body"] = body } };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Func<IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatResponse>> step;
        var list = messages.ToList();
        lock (_gate)
        {
            Calls.Add((list, options));
            step = _script.Count > 0 ? _script.Dequeue() : throw new InvalidOperationException("The script has no more steps.");
        }

        return step(list, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() => Waiting.Dispose();
}
