using DmVoice.Grains.Hosting;

namespace DmVoice.Rules.Tests;

/// <summary>Cluster settings an operator can get wrong, refused at start with a reason.</summary>
public sealed class ClusterOptionsTests
{
    [Fact]
    public void The_defaults_are_valid_and_give_a_broken_gateway_ten_seconds_not_orleans_minute()
    {
        var options = new DmVoiceClusterOptions();

        Assert.Empty(options.GetValidationErrors());
        Assert.Equal(TimeSpan.FromSeconds(10), options.ClientDropTimeout);
    }

    [Fact]
    public void Gateways_look_for_restarted_silos_every_five_seconds_by_default_not_orleans_minute()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), new DmVoiceClusterOptions().GatewayListRefreshPeriod);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(61)]
    public void A_gateway_list_refresh_period_outside_one_second_to_one_minute_is_refused(double seconds)
    {
        var options = new DmVoiceClusterOptions { GatewayListRefreshPeriod = TimeSpan.FromSeconds(seconds) };

        Assert.Contains(options.GetValidationErrors(), e => e.Contains("Cluster:GatewayListRefreshPeriod", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(601)]
    public void A_client_drop_timeout_outside_one_second_to_ten_minutes_is_refused(double seconds)
    {
        var options = new DmVoiceClusterOptions { ClientDropTimeout = TimeSpan.FromSeconds(seconds) };

        Assert.Contains(options.GetValidationErrors(), e => e.Contains("Cluster:ClientDropTimeout", StringComparison.Ordinal));
    }
}
