namespace DmVoice.Rules.Tests;

/// <summary>The call settings' ranges, as the silo checks them at start.</summary>
public sealed class CallOptionsTests
{
    private static bool Valid(CallOptions options) => new CallOptionsValidator().Validate(null, options).Succeeded;

    [Fact]
    public void A_dm_lists_order_is_stored_within_a_minute_by_default_far_later_than_the_other_coalesced_changes()
    {
        var defaults = new CallOptions();

        Assert.True(Valid(defaults));
        Assert.Equal(TimeSpan.FromMinutes(1), defaults.DirectoryOrderWriteDelay);
        Assert.True(defaults.DirectoryOrderWriteDelay > defaults.DeferredWriteDelay);
    }

    [Theory]
    [InlineData(50, false)]
    [InlineData(100, true)]
    [InlineData(3_600_000, true)]
    [InlineData(3_600_001, false)]
    public void A_dm_lists_order_delay_outside_a_tenth_of_a_second_to_an_hour_is_refused(int milliseconds, bool valid) =>
        Assert.Equal(valid, Valid(new CallOptions { DirectoryOrderWriteDelay = TimeSpan.FromMilliseconds(milliseconds) }));
}
