using DmVoice.Grains.Hosting;

namespace DmVoice.Grains.Channels;

[GenerateSerializer]
[Alias("DmVoice.UserChannelsState")]
public sealed class UserChannelsState
{
    [Id(0)] public HashSet<string> ChannelIds { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The voice channels one user may enter, kept by the channel grains (awaited), in id order so a page
/// costs O(log n + page) however many channels the user has. It calls no grain.
/// </summary>
public sealed class UserChannelsGrain(
    [PersistentState("channels", StorageNames.Default)] IPersistentState<UserChannelsState> state) : Grain, IUserChannelsGrain
{
    private readonly SortedSet<string> _ordered = new(StringComparer.Ordinal);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _ordered.UnionWith(state.State.ChannelIds);
        return Task.CompletedTask;
    }

    public async Task AddChannel(string channelId)
    {
        if (state.State.ChannelIds.Add(channelId))
        {
            _ordered.Add(channelId);
            await state.WriteOrDropAsync(this);
        }
    }

    public async Task RemoveChannel(string channelId)
    {
        if (state.State.ChannelIds.Remove(channelId))
        {
            _ordered.Remove(channelId);
            await state.WriteOrDropAsync(this);
        }
    }

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
