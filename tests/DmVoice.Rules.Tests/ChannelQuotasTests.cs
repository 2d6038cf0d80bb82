namespace DmVoice.Rules.Tests;

/// <summary>One user's voice channel limits, case by case, on a plain <see cref="UserChannelsState"/>.</summary>
public sealed class ChannelQuotasTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly ChannelOptions Options = new()
    {
        OwnedPerUser = 3, ListedPerUser = 4, CreatedPerMinute = 2, AccessChangesPerMinute = 3, InvitesPendingPerUser = 2,
    };

    private readonly UserChannelsState _state = new();

    private ChannelQuotas Quotas => new(_state, Options);

    private static DmVoiceException Refused(string code, Action action)
    {
        var refused = Assert.Throws<DmVoiceException>(action);
        Assert.Equal(code, refused.Code);
        return refused;
    }

    [Fact]
    public void Creations_beyond_the_rate_are_refused_with_the_wait_until_the_oldest_is_a_minute_old_and_change_nothing()
    {
        Quotas.ReserveNewChannel("vc-1", 0, T0);
        Quotas.ReserveNewChannel("vc-2", 0, T0.AddSeconds(20));

        var refused = Refused(ErrorCodes.RateLimited, () => Quotas.ReserveNewChannel("vc-3", 0, T0.AddSeconds(30)));

        Assert.Equal(TimeSpan.FromSeconds(30), refused.RetryAfter);
        Assert.Equal(["vc-1", "vc-2"], _state.Owned.Order());
        Quotas.ReserveNewChannel("vc-3", 0, T0.AddSeconds(60));
        Assert.Contains("vc-3", _state.Owned);
    }

    [Fact]
    public void The_invites_of_a_creation_count_as_access_changes_and_more_than_a_minutes_worth_at_once_is_invalid()
    {
        Refused(ErrorCodes.ValidationFailed, () => Quotas.ReserveNewChannel("vc-1", 4, T0));
        Quotas.ReserveNewChannel("vc-1", 2, T0);
        Quotas.SpendAccessChange(T0.AddSeconds(10));

        var refused = Refused(ErrorCodes.RateLimited, () => Quotas.SpendAccessChange(T0.AddSeconds(15)));
        Assert.Equal(TimeSpan.FromSeconds(45), refused.RetryAfter);
        Refused(ErrorCodes.RateLimited, () => Quotas.ReserveNewChannel("vc-2", 1, T0.AddSeconds(30)));
        Assert.Equal(["vc-1"], _state.Owned);
        Quotas.SpendAccessChange(T0.AddSeconds(61));
    }

    [Fact]
    public void Owned_and_listed_channels_are_capped_and_answered_limit_reached()
    {
        for (var i = 0; i < Options.OwnedPerUser; i++)
        {
            Quotas.ReserveNewChannel($"vc-{i}", 0, T0.AddMinutes(i));
            _state.ChannelIds.Add($"vc-{i}");
        }

        Refused(ErrorCodes.LimitReached, () => Quotas.ReserveNewChannel("vc-x", 0, T0.AddHours(1)));
        _state.Owned.Remove("vc-0");
        _state.ChannelIds.Add("vc-other");
        Refused(ErrorCodes.LimitReached, () => Quotas.ReserveNewChannel("vc-x", 0, T0.AddHours(1)));
        Refused(ErrorCodes.LimitReached, Quotas.EnsureRoomForChannel);
        _state.ChannelIds.Remove("vc-other");
        Quotas.EnsureRoomForChannel();
    }

    [Fact]
    public void Invites_waiting_are_capped_and_one_already_kept_is_kept_again()
    {
        Assert.True(Quotas.OfferInvite("vc-a"));
        Assert.True(Quotas.OfferInvite("vc-b"));
        Assert.True(Quotas.OfferInvite("vc-a"));

        Assert.False(Quotas.OfferInvite("vc-c"));

        Assert.Equal(["vc-a", "vc-b"], _state.Invites);
    }
}
