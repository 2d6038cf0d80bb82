using Microsoft.Extensions.Logging;

namespace DmVoice.Grains.Channels;

/// <summary>
/// Each member's list of channels (<see cref="IUserChannelsGrain"/>) learns of access given and taken
/// (<see cref="ChannelAccess.QueueDirectory"/> records what is owed). What is owed is stored with the
/// change that caused it, tried at once and retried with backoff (a timer, and the room's reminder in
/// durable mode) until done; the request succeeds once the change is stored. The lists call nobody, so
/// awaiting them cannot deadlock.
/// </summary>
public sealed partial class VoiceChannelGrain
{
    private OwedWork? _directory;

    private OwedWork Directory => _directory ??= new OwedWork(
        this, Backoff.Propagation, TellListsAsync, (ex, delay) => LogDirectoryFailed(ex, ChannelId, delay));

    private bool OwesOwnWork => _access.OwesDirectory;

    /// <summary>Tells the lists what is owed; on failure keeps it (stored) and retries later. Never throws.</summary>
    private Task PropagateDirectoryAsync() => OwesOwnWork ? Directory.RunAsync() : Task.CompletedTask;

    private async Task TellListsAsync()
    {
        if (!OwesOwnWork)
        {
            return;
        }

        var (adds, removes) = _access.DirectoryOwed();

        // Both are idempotent, so a retry simply does them all again.
        await Task.WhenAll(
            adds.Select(id => GrainFactory.GetGrain<IUserChannelsGrain>(id).AddChannel(ChannelId))
                .Concat(removes.Select(id => GrainFactory.GetGrain<IUserChannelsGrain>(id).RemoveChannel(ChannelId))));
        _access.DirectoryTold(adds, removes);
        await _host.CommitAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {ChannelId}: updating members' channel lists failed; retrying in {Delay}")]
    private partial void LogDirectoryFailed(Exception exception, string channelId, TimeSpan delay);
}
