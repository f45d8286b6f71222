"""Marketing and the closed loop (营销闭环): campaigns, their tracking codes, and every sale
traced back to the campaign that brought it.

    campaign ──> tracking code (poster, link, QR...) ──GET /t/{code}──> exposure (visitor cookie)
        visitor ──signs in / up / orders──> member (visitor link)
        order ──attribute_in──> campaign (explicit code, else the visitor's touches)
        report: exposures → visitors → new members → orders → redemptions → net revenue, ROI
"""
