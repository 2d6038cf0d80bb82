using System.Net;
using DmVoice.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DmVoice.Tests.Grains;

/// <summary>Which address a silo in Redis mode gives the cluster, and where it listens.</summary>
public sealed class SiloAddressingTests
{
    private static readonly IPAddress[] HostWithNetworks =
    [
        IPAddress.Loopback,
        IPAddress.IPv6Loopback,
        IPAddress.Parse("169.254.3.4"),
        IPAddress.Parse("fd00::2"),
        IPAddress.Parse("10.1.2.3"),
        IPAddress.Parse("192.168.7.7"),
    ];

    private static SiloAddressing Resolve(DmVoiceClusterOptions options, string? podIp = null, IPAddress[]? hostAddresses = null) =>
        SiloAddressing.Resolve(
            options,
            name => name == SiloAddressing.PodIPVariable ? podIp : null,
            () => hostAddresses ?? HostWithNetworks);

    [Fact]
    public void The_configured_address_is_advertised_before_the_pod_address_and_the_host_addresses()
    {
        var addressing = Resolve(new DmVoiceClusterOptions { AdvertisedIPAddress = "10.9.9.9" }, podIp: "10.42.0.7");
        Assert.Equal(IPAddress.Parse("10.9.9.9"), addressing.Advertised);
        Assert.Equal("Cluster:AdvertisedIPAddress", addressing.Source);
        Assert.Equal(IPAddress.Any, addressing.Listen);
    }

    [Fact]
    public void In_a_pod_the_pod_address_is_advertised()
    {
        var addressing = Resolve(new DmVoiceClusterOptions(), podIp: "10.42.0.7");
        Assert.Equal(IPAddress.Parse("10.42.0.7"), addressing.Advertised);
        Assert.Equal(SiloAddressing.PodIPVariable, addressing.Source);
    }

    [Fact]
    public void Otherwise_the_first_non_loopback_IPv4_address_of_the_host_is_advertised_and_link_local_ones_are_skipped()
    {
        Assert.Equal(IPAddress.Parse("10.1.2.3"), Resolve(new DmVoiceClusterOptions()).Advertised);
    }

    [Fact]
    public void A_host_with_only_loopback_advertises_loopback()
    {
        var addressing = Resolve(new DmVoiceClusterOptions(), hostAddresses: [IPAddress.Loopback, IPAddress.IPv6Loopback]);
        Assert.Equal(IPAddress.Loopback, addressing.Advertised);
    }

    [Fact]
    public void Without_listening_on_any_address_a_silo_binds_only_the_address_it_advertises()
    {
        var v4 = Resolve(new DmVoiceClusterOptions { AdvertisedIPAddress = "127.0.0.2", ListenOnAnyAddress = false });
        Assert.Equal(IPAddress.Parse("127.0.0.2"), v4.Listen);

        var v6 = Resolve(new DmVoiceClusterOptions { AdvertisedIPAddress = "fd00::12" });
        Assert.Equal(IPAddress.IPv6Any, v6.Listen);
    }

    [Fact]
    public void A_malformed_pod_address_is_refused_naming_POD_IP()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Resolve(new DmVoiceClusterOptions(), podIp: "not-an-ip"));
        Assert.Contains("POD_IP 'not-an-ip'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Cluster:AdvertisedIPAddress", "10.1", "Cluster:AdvertisedIPAddress '10.1'")]
    [InlineData("Cluster:AdvertisedIPAddress", "224.0.0.5", "Cluster:AdvertisedIPAddress '224.0.0.5'")]
    [InlineData("Cluster:Mode", "Redis-Cluster", "Cluster:Mode 'Redis-Cluster'")]
    [InlineData("Cluster:SiloPort", "70000", "Cluster:SiloPort must be 1-65535")]
    [InlineData("Cluster:GatewayPort", "11111", "must differ")]
    [InlineData("Cluster:StateFormat", "Xml", "Cluster:StateFormat must be 'Binary' or 'Json', not 'Xml'")]
    [InlineData("Cluster:Kubernetes", "true", "Cluster:Kubernetes=true needs Cluster:Mode=Redis")]
    public void Cluster_settings_that_cannot_work_are_refused_when_the_silo_is_built_naming_the_setting(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key == "Cluster:AdvertisedIPAddress")
        {
            settings["Cluster:Mode"] = "Redis";
            settings["ConnectionStrings:Redis"] = "127.0.0.1:1";
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        var error = Assert.Throws<OptionsValidationException>(() => builder.UseOrleans(silo => silo.UseDmVoiceCluster(builder.Configuration)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
