# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Connection, credential and retry options shared by every module of the collection.
    DOCUMENTATION = r"""
options:
  region:
    description:
      - The Alibaba Cloud region of the CloudFlow service, for example V(cn-hangzhou).
      - When not set, the environment variable E(ALIBABA_CLOUD_REGION_ID) is read, then E(ALICLOUD_REGION),
        then the C(region_id) of the aliyun CLI profile in use.
      - Required unless O(endpoint) is set. A missing region fails before any credential source is asked.
    type: str
    aliases: [region_id, alicloud_region]
  access_key_id:
    description:
      - The AccessKey ID used to sign requests.
      - When not set, E(ALIBABA_CLOUD_ACCESS_KEY_ID) is read, then E(ALICLOUD_ACCESS_KEY), each together with the
        secret and token of its own family.
      - When neither O(access_key_id) nor O(access_key_secret) is set, the credential chain is used, in this order;
        the environment variables E(ALIBABA_CLOUD_ACCESS_KEY_ID), E(ALIBABA_CLOUD_ACCESS_KEY_SECRET) and
        E(ALIBABA_CLOUD_SECURITY_TOKEN), the older E(ALICLOUD_ACCESS_KEY), E(ALICLOUD_SECRET_KEY) and
        E(ALICLOUD_SECURITY_TOKEN), the aliyun CLI profile file C(~/.aliyun/config.json)
        (modes C(AK), C(StsToken), C(RamRoleArn) and C(EcsRamRole)), and finally the RAM role of the ECS instance
        from the instance metadata service (the token-protected form first).
      - Set E(ALIBABA_CLOUD_ECS_METADATA_DISABLED=true) to skip the instance metadata service.
      - STS C(AssumeRole) and the metadata service are asked with the same O(timeout), O(validate_certs) and
        User-Agent as the CloudFlow API.
    type: str
    aliases: [alicloud_access_key, access_key]
  access_key_secret:
    description:
      - The AccessKey secret that belongs to O(access_key_id). It never appears in any output.
      - When not set, E(ALIBABA_CLOUD_ACCESS_KEY_SECRET) is read, then E(ALICLOUD_SECRET_KEY).
    type: str
    aliases: [alicloud_secret_key, secret_key]
  security_token:
    description:
      - The STS security token, for temporary credentials. It never appears in any output.
      - When not set, E(ALIBABA_CLOUD_SECURITY_TOKEN) is read, then E(ALICLOUD_SECURITY_TOKEN).
    type: str
    aliases: [alicloud_security_token]
  profile:
    description:
      - The name of the aliyun CLI profile in C(~/.aliyun/config.json) to take credentials and region from.
      - When not set, E(ALIBABA_CLOUD_PROFILE) is read, then E(ALICLOUD_PROFILE), then the file's current profile.
      - A profile named here takes precedence over access keys in the environment; one named only in the
        environment does not.
    type: str
  endpoint:
    description:
      - The base URL of the CloudFlow API, for example V(https://cn-hangzhou.fnf.aliyuncs.com).
      - When not set, E(ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT) is read; without either, V(https://{region}.fnf.aliyuncs.com) is used.
      - An environment variable that is set but empty counts as unset, for this and every other option.
      - Plain V(http://) is accepted only for loopback hosts, such as the local emulator shipped in the collection's tests.
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the endpoint, and of STS when a C(RamRoleArn) profile is used.
        Turn it off only for a test endpoint with a self-signed certificate.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the service to answer a single HTTP request; the same limit applies to STS and the
        instance metadata service (whose connection attempt gives up after one second at most).
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried after a throttling answer (HTTP 429, C(ResourceThrottled), C(Throttling*)),
        a server error (HTTP 5xx), C(ConcurrentUpdateError), or a network error.
      - Retries wait a random time up to an exponentially growing cap (full jitter), and at least as long as the service
        asks with C(x-acs-retry-after), up to O(retry_max_delay). TLS certificate failures and other client errors are
        never retried.
    type: int
    default: 6
  retry_max_delay:
    description:
      - The largest wait in seconds between two attempts of the same request.
    type: float
    default: 20
  quota_scale:
    description:
      - The client paces its own requests per API action so that it stays within the documented quotas
        (StartExecution 100 per second, DescribeExecution 5 per second with a burst of 50,
        every other action 2 per second with a burst of 10) and is rarely throttled.
      - Multiply those quotas by this factor, for an account with raised quotas. V(0) turns the pacing off.
    type: float
    default: 1.0
requirements:
  - httpx >= 0.24 (Python library, on the host that runs the module)
"""

    # Attributes shared by every module.
    ACTION_GROUP = r"""
attributes:
  action_group:
    description: Use C(group/seed.cloudflow.cloudflow) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - seed.cloudflow.cloudflow
"""
