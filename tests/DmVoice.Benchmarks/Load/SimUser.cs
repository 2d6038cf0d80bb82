using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace DmVoice.Benchmarks.Load;

/// <summary>One simulated user: a token and one SignalR connection that matches arriving events against what a step expects.</summary>
public sealed class SimUser(string id) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Expectation> _pending = new(StringComparer.Ordinal);
    private long _unmatched;

    public string Id { get; } = id;

    public string Token { get; set; } = string.Empty;

    /// <summary>Index of the gateway this user's connection and REST requests go to (0 with one gateway).</summary>
    public int Gateway { get; init; }

    public HubConnection? Connection { get; private set; }

    /// <summary>Events that no step waited for (rings stopping, own events, ...): counted, not timed.</summary>
    public long Unmatched => Interlocked.Read(ref _unmatched);

    public static string Key(string eventName, string dmGroupId, string subject) => $"{eventName}|{dmGroupId}|{subject}";

    public async Task ConnectAsync(Uri baseAddress, CancellationToken cancellationToken)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(baseAddress, "/hubs/voice"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(Token);
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .Build();
        foreach (var name in VoiceEventNames.All)
        {
            connection.On<JsonElement>(name, payload => OnEvent(name, payload));
        }

        Connection = connection;
        await connection.StartAsync(cancellationToken);
        // The documented handshake: connect, then sync.
        await connection.InvokeAsync<JsonElement>("sync", cancellationToken);
    }

    public Expectation Expect(string key, string eventName, Recorder recorder)
    {
        var expectation = new Expectation(eventName, recorder);
        _pending[key] = expectation;
        return expectation;
    }

    public void Forget(string key) => _pending.TryRemove(key, out _);

    private void OnEvent(string name, JsonElement payload)
    {
        var now = Stopwatch.GetTimestamp();
        var dmGroupId = payload.TryGetProperty("dmGroupId", out var dm) ? dm.GetString() ?? string.Empty : string.Empty;
        var subject = payload.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.Object
            ? user.GetProperty("userId").GetString()
            : payload.TryGetProperty("userId", out var userId) ? userId.GetString() : null;
        if (_pending.TryRemove(Key(name, dmGroupId, subject ?? string.Empty), out var expectation))
        {
            var recorder = expectation.Recorder;
            recorder.Latency("event:" + name, expectation.SentAt, now);
            recorder.Latency("event:all", expectation.SentAt, now);
            recorder.Event();
            expectation.ArrivedAt = now;
            expectation.Done.TrySetResult();
        }
        else
        {
            Interlocked.Increment(ref _unmatched);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Connection is not null)
        {
            await Connection.DisposeAsync();
        }
    }

    public sealed class Expectation(string eventName, Recorder recorder)
    {
        public string EventName { get; } = eventName;

        /// <summary>The phase's recorder: events are timed into the phase that sent the request.</summary>
        public Recorder Recorder { get; } = recorder;

        /// <summary>When the REST request that causes the event was sent (set just before sending).</summary>
        public long SentAt { get; set; }

        /// <summary>When the event arrived at this connection (set before <see cref="Done"/> completes).</summary>
        public long ArrivedAt { get; set; }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
