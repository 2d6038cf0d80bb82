using DmVoice.Grains.Users;

namespace DmVoice.Rules.Tests;

/// <summary>Call starts a user's voice grain holds for the user's DM list until it hands them over.</summary>
public sealed class HeldDmActivityTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(60);
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly UserVoiceState _state = new();
    private readonly HeldDmActivity _held;

    public HeldDmActivityTests() => _held = new HeldDmActivity(_state, Delay, Now);

    [Fact]
    public void Nothing_held_is_due_never_and_costs_no_dictionary_in_the_state()
    {
        Assert.True(_held.IsEmpty);
        Assert.Null(_held.Due);
        Assert.Empty(_held.ToArray());
        Assert.Null(_state.HeldDmActivity);
    }

    [Fact]
    public void The_first_call_start_sets_the_hand_over_one_delay_later_and_later_ones_do_not_move_it()
    {
        _held.Hold("dm-1", Now, Now);
        _held.Hold("dm-2", Now.AddSeconds(5), Now.AddSeconds(5));

        Assert.Equal(Now + Delay, _held.Due);
        Assert.Equal(
            [new DmActivityEntry("dm-1", Now), new DmActivityEntry("dm-2", Now.AddSeconds(5))],
            _held.ToArray().OrderBy(e => e.DmGroupId));
    }

    [Fact]
    public void A_DM_keeps_its_latest_call_start_whatever_order_they_arrive_in()
    {
        _held.Hold("dm-1", Now.AddSeconds(10), Now);
        _held.Hold("dm-1", Now, Now.AddSeconds(1));

        Assert.Equal([new DmActivityEntry("dm-1", Now.AddSeconds(10))], _held.ToArray());
    }

    [Fact]
    public void What_the_list_stored_is_let_go_and_with_nothing_left_nothing_is_due()
    {
        _held.Hold("dm-1", Now, Now);
        _held.Hold("dm-2", Now, Now);

        _held.HandedOver(_held.ToArray());

        Assert.True(_held.IsEmpty);
        Assert.Null(_held.Due);
        Assert.Null(_state.HeldDmActivity);
    }

    [Fact]
    public void A_later_call_start_than_the_one_handed_over_is_still_held()
    {
        _held.Hold("dm-1", Now, Now);
        var handed = _held.ToArray();
        _held.Hold("dm-1", Now.AddSeconds(3), Now.AddSeconds(3));

        _held.HandedOver(handed);

        Assert.Equal([new DmActivityEntry("dm-1", Now.AddSeconds(3))], _held.ToArray());
        Assert.NotNull(_held.Due);
    }

    [Fact]
    public void A_failed_hand_over_is_tried_again_one_delay_after_the_failure()
    {
        _held.Hold("dm-1", Now, Now);

        _held.HandOverFailed(Now + Delay);

        Assert.Equal(Now + Delay + Delay, _held.Due);
        Assert.Single(_held.ToArray());
    }

    [Fact]
    public void A_new_activation_over_state_that_holds_activity_hands_it_over_one_delay_after_it_starts()
    {
        _held.Hold("dm-1", Now, Now);
        var later = Now.AddMinutes(30);

        var reactivated = new HeldDmActivity(_state, Delay, later);

        Assert.Equal(later + Delay, reactivated.Due);
        Assert.Equal([new DmActivityEntry("dm-1", Now)], reactivated.ToArray());
    }
}
