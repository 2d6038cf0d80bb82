using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DmVoice.TestSupport.Push;

/// <summary>One POST the receiver got, as it arrived: the raw body bytes and the headers.</summary>
public sealed record ReceivedPush(byte[] Body, IReadOnlyDictionary<string, string> Headers, int Answered)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public string RecipientId => Json.GetProperty("recipientId").GetString()!;
}

/// <summary>How the receiver answers one request: a status (and Retry-After seconds), or no answer until released.</summary>
public sealed record PushReply(int Status, int? RetryAfterSeconds = null, bool Hang = false)
{
    public static PushReply Ok { get; } = new(200);

    public static PushReply NoAnswer { get; } = new(0, Hang: true);
}

/// <summary>
/// A push service on 127.0.0.1 (real Kestrel): it records every notification POSTed to it and answers as a
/// test scripted per recipient (200 by default), including not answering at all.
/// </summary>
public sealed class PushReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedPush> _received = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<PushReply>> _scripts = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _release = new();

    private PushReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<ReceivedPush> Received => _received.ToArray();

    public static async Task<PushReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new PushReceiver(app);
        app.MapPost("/push", receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(new Uri(address), "/push");
        return receiver;
    }

    /// <summary>The next requests for this recipient get these answers, in order; then 200.</summary>
    public void Script(string recipientId, params PushReply[] replies)
    {
        var queue = _scripts.GetOrAdd(recipientId, _ => new ConcurrentQueue<PushReply>());
        foreach (var reply in replies)
        {
            queue.Enqueue(reply);
        }
    }

    /// <summary>From now on every request for this recipient gets <paramref name="reply"/> (until <see cref="Script"/> changes it).</summary>
    public void AnswerAlways(string recipientId, PushReply reply) => _always[recipientId] = reply;

    private readonly ConcurrentDictionary<string, PushReply> _always = new(StringComparer.Ordinal);

    public void StopAnsweringAlways(string recipientId) => _always.TryRemove(recipientId, out _);

    public IReadOnlyList<ReceivedPush> For(string recipientId) => Received.Where(r => r.RecipientId == recipientId).ToArray();

    /// <summary>Waits until the recipient's notifications satisfy <paramref name="done"/>.</summary>
    public Task<IReadOnlyList<ReceivedPush>> WaitForAsync(string recipientId, Func<IReadOnlyList<ReceivedPush>, bool> done, string what) =>
        Eventually.GetAsync(() => Task.FromResult(For(recipientId)), done, what);

    private async Task HandleAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        string recipient;
        try
        {
            recipient = JsonDocument.Parse(body).RootElement.GetProperty("recipientId").GetString() ?? string.Empty;
        }
        catch (JsonException)
        {
            recipient = string.Empty;
        }

        var reply = _always.TryGetValue(recipient, out var always) ? always
            : _scripts.TryGetValue(recipient, out var queue) && queue.TryDequeue(out var next) ? next
            : PushReply.Ok;
        _received.Enqueue(new ReceivedPush(body, headers, reply.Hang ? 0 : reply.Status));
        if (reply.Hang)
        {
            // Holds the request until the sender gives up on it (or the receiver stops).
            using var both = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _release.Token);
            try
            {
                await Task.Delay(Timeout.Infinite, both.Token);
            }
            catch (OperationCanceledException)
            {
            }

            return;
        }

        http.Response.StatusCode = reply.Status;
        if (reply.RetryAfterSeconds is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await http.Response.WriteAsync(reply.Status < 300 ? "ok" : "no", Encoding.UTF8);
    }

    public async ValueTask DisposeAsync()
    {
        await _release.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _release.Dispose();
    }
}
