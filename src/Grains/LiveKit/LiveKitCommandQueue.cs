using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.LiveKit;

public enum LiveKitCommandKind
{
    RemoveParticipant,
    DeleteRoom,
}

/// <summary>One RoomService call to make; cancelled when a later call change makes it stale.</summary>
public sealed class LiveKitCommand
{
    private volatile bool _cancelled;

    public LiveKitCommand(LiveKitCommandKind kind, string dmGroupId, string? userId, DateTimeOffset enqueuedAt)
    {
        Kind = kind;
        DmGroupId = dmGroupId;
        UserId = userId;
        EnqueuedAt = enqueuedAt;
        Key = KeyFor(kind, dmGroupId, userId);
    }

    public LiveKitCommandKind Kind { get; }

    public string DmGroupId { get; }

    /// <summary>Set for <see cref="LiveKitCommandKind.RemoveParticipant"/>.</summary>
    public string? UserId { get; }

    public DateTimeOffset EnqueuedAt { get; }

    /// <summary>Commands with the same key do the same thing; only the newest pending one runs.</summary>
    public string Key { get; }

    public bool IsCancelled => _cancelled;

    public void Cancel() => _cancelled = true;

    public override string ToString() =>
        Kind == LiveKitCommandKind.RemoveParticipant ? $"RemoveParticipant({DmGroupId}, {UserId})" : $"DeleteRoom({DmGroupId})";

    internal static string KeyFor(LiveKitCommandKind kind, string dmGroupId, string? userId) =>
        kind == LiveKitCommandKind.RemoveParticipant ? $"p\n{dmGroupId}\n{userId}" : $"r\n{dmGroupId}";
}

/// <summary>
/// The silo's <see cref="ILiveKitCommands"/> when LiveKit is configured: commands go into a bounded
/// in-memory queue (the oldest is dropped, with a warning, when it is full) that
/// <see cref="LiveKitCommandWorker"/> drains with retries. Enqueueing never blocks and never fails, so a
/// grain turn never waits on LiveKit. Commands are not durable: one lost in a silo crash is repaired by
/// the sweep of the call (or was moot, because the room closes when it empties).
/// </summary>
public sealed class LiveKitCommandQueue : ILiveKitCommands
{
    private readonly Channel<LiveKitCommand> _channel;
    private readonly ConcurrentDictionary<string, LiveKitCommand> _pending = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger<LiveKitCommandQueue> _logger;

    public LiveKitCommandQueue(IOptions<LiveKitSyncOptions> options, ILogger<LiveKitCommandQueue> logger, TimeProvider? timeProvider = null)
    {
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _channel = Channel.CreateBounded<LiveKitCommand>(
            new BoundedChannelOptions(options.Value.CommandQueueCapacity)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,
            },
            OnDropped);
    }

    internal ChannelReader<LiveKitCommand> Reader => _channel.Reader;

    /// <summary>Commands enqueued or running, not yet done (for diagnostics).</summary>
    public int PendingCount => _pending.Count;

    public void RemoveParticipant(string dmGroupId, string userId) =>
        Enqueue(new LiveKitCommand(LiveKitCommandKind.RemoveParticipant, dmGroupId, userId, _time.GetUtcNow()));

    public void DeleteRoom(string dmGroupId) =>
        Enqueue(new LiveKitCommand(LiveKitCommandKind.DeleteRoom, dmGroupId, null, _time.GetUtcNow()));

    public void CancelPending(string dmGroupId, string userId)
    {
        Cancel(LiveKitCommand.KeyFor(LiveKitCommandKind.DeleteRoom, dmGroupId, null));
        Cancel(LiveKitCommand.KeyFor(LiveKitCommandKind.RemoveParticipant, dmGroupId, userId));
    }

    /// <summary>Called by the worker when a command succeeded, was given up or was cancelled.</summary>
    internal void Done(LiveKitCommand command) =>
        _pending.TryRemove(new KeyValuePair<string, LiveKitCommand>(command.Key, command));

    private void Enqueue(LiveKitCommand command)
    {
        // An identical command that is still waiting or retrying is replaced: the new one does the same, from a fresh start.
        _pending.AddOrUpdate(
            command.Key,
            command,
            (_, previous) =>
            {
                previous.Cancel();
                return command;
            });
        if (!_channel.Writer.TryWrite(command))
        {
            // Only after the worker stopped (shutdown).
            Done(command);
            _logger.LogWarning("LiveKit command {Command} not queued: the queue is closed", command);
        }
    }

    private void Cancel(string key)
    {
        if (_pending.TryRemove(key, out var command))
        {
            command.Cancel();
        }
    }

    private void OnDropped(LiveKitCommand command)
    {
        Done(command);
        _logger.LogWarning(
            "LiveKit command queue is full; dropped the oldest command {Command} (queued at {EnqueuedAt:O})",
            command,
            command.EnqueuedAt);
    }

    internal void Complete() => _channel.Writer.TryComplete();
}
