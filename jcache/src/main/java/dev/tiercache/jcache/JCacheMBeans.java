package dev.tiercache.jcache;

import javax.cache.CacheException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.net.URI;

/**
 * Registers a cache's management and statistics beans in the platform MBean server under the names
 * the JCache specification gives them:
 * {@code javax.cache:type=CacheConfiguration|CacheStatistics,CacheManager=<uri>,Cache=<name>}.
 */
final class JCacheMBeans
{
    /** The bean kinds, named as their {@code type} key. */
    enum Kind
    {
        CacheConfiguration,
        CacheStatistics
    }

    private JCacheMBeans()
    {
    }

    static ObjectName name(final Kind kind, final URI manager, final String cache)
    {
        try
        {
            return new ObjectName("javax.cache:type=" + kind + ",CacheManager=" + safe(manager.toString()) + ",Cache=" + safe(cache));
        }
        catch (final JMException ex)
        {
            throw new CacheException("no valid MBean name for cache " + cache + " of " + manager, ex);
        }
    }

    /** ObjectName values may hold neither of {@code : = , } nor a newline. */
    private static String safe(final String value)
    {
        return value.replaceAll("[:=,\n]", ".");
    }

    static void register(final Object bean, final ObjectName name)
    {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try
        {
            if (!server.isRegistered(name))
            {
                server.registerMBean(bean, name);
            }
        }
        catch (final JMException ex)
        {
            throw new CacheException("cannot register " + name, ex);
        }
    }

    static void unregister(final ObjectName name)
    {
        final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try
        {
            server.unregisterMBean(name);
        }
        catch (final InstanceNotFoundException ex)
        {
            // not registered: nothing to do
        }
        catch (final JMException ex)
        {
            throw new CacheException("cannot unregister " + name, ex);
        }
    }
}
