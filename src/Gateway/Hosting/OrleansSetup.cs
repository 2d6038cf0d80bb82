using DmVoice.Grains.Hosting;

namespace DmVoice.Gateway.Hosting;

internal static class OrleansSetup
{
    /// <summary>
    /// With localhost clustering and <see cref="GatewayOptions.CoHostSilo"/> (the default), the
    /// gateway hosts the silo itself so one command runs the whole system. Otherwise it joins the
    /// cluster as a client, and gateways scale apart from silos.
    /// </summary>
    public static WebApplicationBuilder AddDmVoiceOrleans(this WebApplicationBuilder builder)
    {
        var cluster = DmVoiceClusterOptions.From(builder.Configuration);
        var gateway = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new();
        if (!cluster.UsesRedis && gateway.CoHostSilo)
        {
            builder.UseOrleans(silo => silo.UseDmVoiceCluster(builder.Configuration));
        }
        else
        {
            builder.UseOrleansClient(client => client.UseDmVoiceCluster(builder.Configuration));
        }

        return builder;
    }
}
