using DmVoice.Grains.Hosting;
using DmVoice.Grains.Infrastructure;
using Microsoft.Extensions.Options;

namespace DmVoice.Grains.Channels;

[GenerateSerializer]
[Alias("DmVoice.UserChannelsState")]
public sealed class UserChannelsState
{
    /// <summary>The channels the user may enter (owned ones included).</summary>
    [Id(0)] public HashSet<string> ChannelIds { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The channels the user owns (<c>Channels:OwnedPerUser</c>); one created and then failed stays counted.</summary>
    [Id(1)] public HashSet<string> Owned { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Channels that invited the user and wait for an answer, oldest first (<c>Channels:InvitesPendingPerUser</c>).</summary>
    [Id(2)] public List<string> Invites { get; set; } = [];

    /// <summary>When the user created their channels of the last minute, oldest first.</summary>
    [Id(3)] public List<DateTimeOffset> RecentCreations { get; set; } = [];

    /// <summary>When the user invited or removed others in the last minute, oldest first.</summary>
    [Id(4)] public List<DateTimeOffset> RecentAccessChanges { get; set; } = [];
}

/// <summary>
/// The voice channels one user may enter, kept by the channel grains (awaited), in id order so a page
/// costs O(log n + page) however many channels the user has; their invites waiting for an answer; and
/// their channel limits (<see cref="ChannelQuotas"/>). It calls no grain. A change whose write fails drops
/// the activation, so nothing of it is left in memory.
/// </summary>
public sealed class UserChannelsGrain(
    [PersistentState("channels", StorageNames.Default)] IPersistentState<UserChannelsState> state,
    CallClock clock,
    IOptions<ChannelOptions> options) : Grain, IUserChannelsGrain
{
    private readonly SortedSet<string> _ordered = new(StringComparer.Ordinal);

    private ChannelQuotas Quotas => new(state.State, options.Value);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _ordered.UnionWith(state.State.ChannelIds);
        return Task.CompletedTask;
    }

    public async Task AddChannel(string channelId)
    {
        var invited = state.State.Invites.Remove(channelId);
        if (state.State.ChannelIds.Add(channelId))
        {
            _ordered.Add(channelId);
        }
        else if (!invited)
        {
            return;
        }

        await state.WriteOrDropAsync(this);
    }

    public async Task RemoveChannel(string channelId)
    {
        var listed = state.State.ChannelIds.Remove(channelId);
        var owned = state.State.Owned.Remove(channelId);
        var invited = state.State.Invites.Remove(channelId);
        if (listed || owned || invited)
        {
            _ordered.Remove(channelId);
            await state.WriteOrDropAsync(this);
        }
    }

    public async Task ReserveNewChannel(string channelId, int invites)
    {
        Quotas.ReserveNewChannel(channelId, invites, clock.UtcNow);
        await state.WriteOrDropAsync(this);
    }

    public async Task SpendAccessChange()
    {
        Quotas.SpendAccessChange(clock.UtcNow);
        await state.WriteOrDropAsync(this);
    }

    public Task EnsureRoomForChannel()
    {
        Quotas.EnsureRoomForChannel();
        return Task.CompletedTask;
    }

    public async Task<bool> OfferInvite(string channelId)
    {
        var had = state.State.Invites.Contains(channelId);
        if (!Quotas.OfferInvite(channelId))
        {
            return false;
        }

        if (!had)
        {
            await state.WriteOrDropAsync(this);
        }

        return true;
    }

    public async Task DropInvite(string channelId)
    {
        if (state.State.Invites.Remove(channelId))
        {
            await state.WriteOrDropAsync(this);
        }
    }

    public Task<IReadOnlyList<string>> GetInvites() => Task.FromResult<IReadOnlyList<string>>(state.State.Invites.ToArray());

    public Task<ChannelIdPage> GetPage(int limit, string? after)
    {
        limit = Math.Clamp(limit, 1, 100);
        IEnumerable<string> from = _ordered;
        if (after is not null)
        {
            from = _ordered.Count == 0 || string.CompareOrdinal(after, _ordered.Max) >= 0
                ? []
                : _ordered.GetViewBetween(after, _ordered.Max!).Where(id => id != after);
        }

        // One more than asked, to know whether another page follows.
        var page = from.Take(limit + 1).ToList();
        string? next = null;
        if (page.Count > limit)
        {
            page.RemoveAt(limit);
            next = page[^1];
        }

        return Task.FromResult(new ChannelIdPage(page, next));
    }
}
