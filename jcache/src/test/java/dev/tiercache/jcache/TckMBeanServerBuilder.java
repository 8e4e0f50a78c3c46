package dev.tiercache.jcache;

import javax.management.MBeanServerBuilder;
import javax.management.MBeanServerDelegate;

/**
 * Makes the platform MBean server answer to the id the JSR-107 TCK looks it up by (the system
 * property {@code org.jsr107.tck.management.agentId}); selected for the TCK run with
 * {@code javax.management.builder.initial}.
 */
public final class TckMBeanServerBuilder extends MBeanServerBuilder
{
    /** Created by the JMX runtime. */
    public TckMBeanServerBuilder()
    {
    }

    @Override
    public MBeanServerDelegate newMBeanServerDelegate()
    {
        return new MBeanServerDelegate()
        {
            @Override
            public String getMBeanServerId()
            {
                return System.getProperty("org.jsr107.tck.management.agentId", super.getMBeanServerId());
            }
        };
    }
}
